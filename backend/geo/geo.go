// Package geo holds the little geometry the domain needs on GPS points: how far apart two
// places are. Standard library only; one implementation for every package that compares
// places (evidence: a photo's EXIF position against the declared one; casework: the same place
// within a radius for duplicate intake).
package geo

import "math"

// earthRadiusM is the mean radius of the Earth in metres.
const earthRadiusM = 6_371_000.0

// DistanceM is the great-circle distance in metres between two points given in degrees
// (haversine on the mean Earth radius): within a few metres in a city, plenty for "the same
// place within 100 metres".
func DistanceM(lat1, lng1, lat2, lng2 float64) float64 {
	rad := math.Pi / 180
	dLat, dLng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(a)))
}
