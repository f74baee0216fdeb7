package numbering

import (
	"testing"
	"time"
)

func TestFormat_Number(t *testing.T) {
	const archive, whistle = "{street}综执档〔{year}〕{seq:04}号", "{street}吹哨〔{year}〕{seq:04}号"
	tests := []struct {
		name, format, def string
		seq               int
		want              string
	}{
		{"DefaultArchive", "", archive, 1, "交道口综执档〔2026〕0001号"},
		{"DefaultWhistle", "", whistle, 1, "交道口吹哨〔2026〕0001号"},
		{"Wide", archive, archive, 12345, "交道口综执档〔2026〕12345号"},
		{"Own", "{street_code}-{year}-{seq:06}", archive, 42, "st-a-2026-000042"},
		{"Unpadded", "{street}档{year}第{seq}号", archive, 7, "交道口档2026第7号"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(tt.format, tt.def)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Number("st-a", "交道口街道", 2026, tt.seq); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"{street}〔{year}〕号", "{seq:04}{nope}", "{year:04}{seq}", "{seq}}"} {
		if _, err := Parse(bad, archive); err == nil {
			t.Errorf("format %q accepted", bad)
		}
	}
	if got := (Format{}).Number("st-a", "交道口街道", 2026, 3); got != "交道口〔2026〕0003号" {
		t.Errorf("the zero format: %s", got)
	}
}

func TestStreetShort(t *testing.T) {
	for in, want := range map[string]string{"交道口街道": "交道口", "东华门街道": "东华门", "朝阳门地区": "朝阳门地区", "街道": "街道"} {
		if got := StreetShort(in); got != want {
			t.Errorf("StreetShort(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestYearOf: the numbering year is Beijing's, not UTC's.
func TestYearOf(t *testing.T) {
	if y := YearOf(time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC)); y != 2027 {
		t.Errorf("00:30 on 1 January in Beijing is of %d", y)
	}
	if y := YearOf(time.Date(2026, 12, 31, 15, 30, 0, 0, time.UTC)); y != 2026 {
		t.Errorf("23:30 on 31 December in Beijing is of %d", y)
	}
}
