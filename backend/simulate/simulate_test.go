package simulate

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/media"
)

// TestWithEXIF: the server's EXIF reader reads back the capture time (in
// Beijing time, with its offset) and the position the phone wrote, the
// image still decodes, and padding reaches the size asked for.
func TestWithEXIF(t *testing.T) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 48)), nil); err != nil {
		t.Fatal(err)
	}
	at := demo.StoryOn(clock.System().Today()).At("2026-11-20T09:41:07+08:00")
	lat, lon := 39.9372, 116.4031
	img := padded(withEXIF(buf.Bytes(), at, lat, lon), 200_000, rand.New(rand.NewPCG(1, 2)))
	if len(img) != 200_000 {
		t.Fatalf("padded to %d bytes, want 200000", len(img))
	}
	x := media.ReadEXIF(img)
	if x == nil || x.Lat == nil || x.Lon == nil {
		t.Fatalf("EXIF read back: %+v", x)
	}
	got, ok := x.CapturedAt(at)
	if !ok || !got.Equal(at) || x.OffsetTimeOriginal != "+08:00" || x.Make != "Whistle" {
		t.Fatalf("EXIF %+v: captured at %s (%v), want %s", x, got, ok, at)
	}
	if math.Abs(*x.Lat-lat) > 1e-6 || math.Abs(*x.Lon-lon) > 1e-6 {
		t.Fatalf("EXIF position %f,%f, want %f,%f", *x.Lat, *x.Lon, lat, lon)
	}
	if d := x.Discrepancies(at, &lat, &lon); len(d) != 0 {
		t.Fatalf("discrepancies with what was declared: %q", d)
	}
	if _, err := jpeg.Decode(bytes.NewReader(img)); err != nil {
		t.Fatalf("the photo with EXIF and trailer does not decode: %v", err)
	}
}

// TestPlanDay: the same seed plans the same day; a day of five acts has
// every crew once; stretches are at most offline acts long.
func TestPlanDay(t *testing.T) {
	start := clock.System().Now()
	plan := func(seed uint64) []stretch { return planDay(rand.New(rand.NewPCG(seed, 0)), start, 5, 3, 2, 4) }
	names := func(p []stretch) (out []string) {
		for _, s := range p {
			if len(s.acts) == 0 || len(s.acts) > 2 {
				t.Fatalf("a stretch of %d acts, want 1 to 2", len(s.acts))
			}
			for _, a := range s.acts {
				out = append(out, a.scenario.name)
			}
		}
		return out
	}
	a, b := plan(7), plan(7)
	if !reflect.DeepEqual(names(a), names(b)) || len(a) != len(b) {
		t.Fatalf("seed 7 planned two days: %v, %v", names(a), names(b))
	}
	seen := map[string]bool{}
	for _, n := range names(a) {
		seen[n] = true
	}
	if len(seen) != len(scenarios) {
		t.Fatalf("five acts cover %v, want all %d crews", seen, len(scenarios))
	}
}
