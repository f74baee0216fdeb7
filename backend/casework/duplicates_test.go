package casework

import (
	"testing"
)

func TestDuplicates(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	at := func(id string, lat, lng *float64, addr string) Record {
		return Record{ID: id, Location: Location{Address: addr, Lat: lat, Lng: lng}}
	}
	open := []Record{
		at("far", f(39.9430), f(116.4035), "交道口南大街 40 号"),  // ~333 m north
		at("near", f(39.94045), f(116.4035), "交道口南大街 7 号"), // 50 m north
		at("same", f(39.9400), f(116.4035), "交道口南大街 5 号"),  // the same point
		at("noCoords", nil, nil, "交道口南大街 5 号"),             // no coordinates, the same address
		at("noCoordsOther", nil, nil, "交道口南大街 9 号"),        // no coordinates, another address
		at("edge", f(39.9400), f(116.40467), "交道口南大街 6 号"), // ~100 m east
	}
	got := Duplicates(Location{Address: "交道口南大街 5号", Lat: f(39.9400), Lng: f(116.4035)}, open, 100)
	var ids []string
	for _, d := range got {
		ids = append(ids, d.ID)
	}
	want := []string{"noCoords", "same", "near", "edge"}
	if len(ids) != len(want) {
		t.Fatalf("duplicates %v, want %v", ids, want)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("duplicates %v, want %v (nearest first, -1 for an address match)", ids, want)
		}
	}
	if got[2].DistanceM != 50 || got[0].DistanceM != -1 {
		t.Errorf("distances %+v", got)
	}
	// Without coordinates on one side, only the same address (spaces ignored) counts.
	if got := Duplicates(Location{Address: "交道口南大街5号"}, open, 100); len(got) != 2 || got[0].ID != "same" || got[1].ID != "noCoords" {
		t.Errorf("by address: %+v", got)
	}
	if got := Duplicates(Location{}, open, 100); len(got) != 0 {
		t.Errorf("an intake without a place matched %+v", got)
	}
}
