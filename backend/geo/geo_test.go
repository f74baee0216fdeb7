package geo

import (
	"math"
	"testing"
)

func TestDistanceM(t *testing.T) {
	tests := []struct {
		name                   string
		lat1, lng1, lat2, lng2 float64
		want, tolerance        float64
	}{
		{"the same point", 39.9375, 116.4035, 39.9375, 116.4035, 0, 0},
		{"one degree of latitude", 39, 116.4, 40, 116.4, 111_195, 1},
		// 南锣鼓巷 to 天安门: about 3.2 km, a little west of due south.
		{"across Dongcheng", 39.9375, 116.4035, 39.9087, 116.3975, 3_240, 20},
		{"antipodes", 0, 0, 0, 180, math.Pi * earthRadiusM, 1},
	}
	for _, tt := range tests {
		if got := DistanceM(tt.lat1, tt.lng1, tt.lat2, tt.lng2); math.Abs(got-tt.want) > tt.tolerance {
			t.Errorf("%s: %.1f m, want %.0f ± %.0f", tt.name, got, tt.want, tt.tolerance)
		}
	}
}
