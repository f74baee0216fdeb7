package evidence

import (
	"fmt"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/geo"
)

// EXIF is what the camera wrote into an original (JPEG or HEIC): read into metadata,
// never changed in the original.
type EXIF struct {
	Make  string `json:"make,omitempty"`
	Model string `json:"model,omitempty"`
	// DateTimeOriginal is the capture time as written ("2006:01:02 15:04:05"),
	// OffsetTimeOriginal its UTC offset if the camera wrote one ("+08:00").
	DateTimeOriginal   string `json:"date_time_original,omitempty"`
	OffsetTimeOriginal string `json:"offset_time_original,omitempty"`
	// Lat and Lon are the GPS position in decimal degrees, if written.
	Lat *float64 `json:"lat,omitempty"`
	Lon *float64 `json:"lon,omitempty"`
}

// CapturedAt interprets DateTimeOriginal, in its own offset if the camera
// wrote one and otherwise in the zone of declared (the phone's clock), and
// reports whether there was one to interpret.
func (x *EXIF) CapturedAt(declared time.Time) (time.Time, bool) {
	if x == nil || x.DateTimeOriginal == "" {
		return time.Time{}, false
	}
	loc := declared.Location()
	if o := x.OffsetTimeOriginal; len(o) == 6 && (o[0] == '+' || o[0] == '-') {
		if t, err := time.Parse("-07:00", o); err == nil {
			_, secs := t.Zone()
			loc = time.FixedZone(o, secs)
		}
	}
	t, err := time.ParseInLocation("2006:01:02 15:04:05", strings.TrimSpace(x.DateTimeOriginal), loc)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// How far the EXIF may stray from the declaration before it is noted.
const (
	captureTolerance = 5 * time.Minute
	placeTolerance   = 200.0 // metres
)

// Discrepancies compares the EXIF with what the phone declared and says,
// in words, where they disagree. A disagreement is noted with the evidence,
// never a reason to refuse it: clocks drift and GPS wanders.
func (x *EXIF) Discrepancies(capturedAt time.Time, lat, lon *float64) []string {
	if x == nil {
		return nil
	}
	var out []string
	if t, ok := x.CapturedAt(capturedAt); ok {
		if d := t.Sub(capturedAt).Abs(); d > captureTolerance {
			out = append(out, fmt.Sprintf("EXIF capture time %s differs from the declared %s by %s",
				t.Format(time.RFC3339), capturedAt.Format(time.RFC3339), d.Round(time.Second)))
		}
	}
	if x.Lat != nil && x.Lon != nil && lat != nil && lon != nil {
		if d := geo.DistanceM(*x.Lat, *x.Lon, *lat, *lon); d > placeTolerance {
			out = append(out, fmt.Sprintf("EXIF position %.6f,%.6f is %.0f m from the declared %.6f,%.6f",
				*x.Lat, *x.Lon, d, *lat, *lon))
		}
	}
	return out
}
