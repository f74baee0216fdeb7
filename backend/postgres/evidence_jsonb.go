package postgres

import (
	"encoding/json"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
)

// The jsonb columns of the evidence tables: evidence.exif (a storedEXIF),
// evidence_uploads.parts (storedParts) and evidence_uploads.head (a
// storedHead) have storage structs of their own, with the keys and shapes
// the domain's JSON had when they were introduced (testdata/jsonb holds the
// rows).
//
// Two are not mirrored, for no domain type is involved: evidence.discrepancies
// is a JSON array of strings, and evidence_custody.detail a JSON object whose
// keys each custody event chooses (evidence/custody.go and the accesses the
// API records), with plain strings, numbers, booleans and lists of strings
// for values, handed back as they were stored.

// storedEXIF is what an original's EXIF said.
type storedEXIF struct {
	Make               string   `json:"make,omitempty"`
	Model              string   `json:"model,omitempty"`
	DateTimeOriginal   string   `json:"date_time_original,omitempty"`
	OffsetTimeOriginal string   `json:"offset_time_original,omitempty"`
	Lat                *float64 `json:"lat,omitempty"`
	Lon                *float64 `json:"lon,omitempty"`
}

// storedHead is what the first bytes of an upload said.
type storedHead struct {
	Width  int         `json:"width,omitempty"`
	Height int         `json:"height,omitempty"`
	EXIF   *storedEXIF `json:"exif,omitempty"`
}

// storedPart is one S3 multipart part of an upload.
type storedPart struct {
	Number int    `json:"n"`
	ETag   string `json:"etag"`
	Size   int64  `json:"size"`
}

// exifJSON encodes x for evidence.exif.
func exifJSON(x evidence.EXIF) (string, error) { return jsonText(storedEXIFOf(x)) }

// exifFromJSON decodes evidence.exif.
func exifFromJSON(b []byte) (evidence.EXIF, error) {
	var s storedEXIF
	if err := json.Unmarshal(b, &s); err != nil {
		return evidence.EXIF{}, derrors.Wrap(err, derrors.Internal, "decode stored exif")
	}
	return s.exif(), nil
}

// headJSON encodes h for evidence_uploads.head.
func headJSON(h evidence.Head) (string, error) { return jsonText(storedHeadOf(h)) }

// headFromJSON decodes evidence_uploads.head.
func headFromJSON(b []byte) (evidence.Head, error) {
	var s storedHead
	if err := json.Unmarshal(b, &s); err != nil {
		return evidence.Head{}, derrors.Wrap(err, derrors.Internal, "decode stored upload head")
	}
	return s.head(), nil
}

// partsJSON encodes ps for evidence_uploads.parts: none is [], never null
// (the column is NOT NULL DEFAULT '[]').
func partsJSON(ps []evidence.Part) (string, error) {
	return jsonText(nonNil(mapSlice(ps, storedPartOf)))
}

// partsFromJSON decodes evidence_uploads.parts.
func partsFromJSON(b []byte) ([]evidence.Part, error) {
	var s []storedPart
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, derrors.Wrap(err, derrors.Internal, "decode stored upload parts")
	}
	return mapSlice(s, storedPart.part), nil
}

func storedEXIFOf(x evidence.EXIF) storedEXIF {
	return storedEXIF{Make: x.Make, Model: x.Model, DateTimeOriginal: x.DateTimeOriginal, OffsetTimeOriginal: x.OffsetTimeOriginal,
		Lat: x.Lat, Lon: x.Lon}
}

func (s storedEXIF) exif() evidence.EXIF {
	return evidence.EXIF{Make: s.Make, Model: s.Model, DateTimeOriginal: s.DateTimeOriginal, OffsetTimeOriginal: s.OffsetTimeOriginal,
		Lat: s.Lat, Lon: s.Lon}
}

func storedHeadOf(h evidence.Head) storedHead {
	return storedHead{Width: h.Width, Height: h.Height, EXIF: mapPtr(h.EXIF, storedEXIFOf)}
}

func (s storedHead) head() evidence.Head {
	return evidence.Head{Width: s.Width, Height: s.Height, EXIF: mapPtr(s.EXIF, storedEXIF.exif)}
}

func storedPartOf(p evidence.Part) storedPart {
	return storedPart{Number: p.Number, ETag: p.ETag, Size: p.Size}
}

func (s storedPart) part() evidence.Part {
	return evidence.Part{Number: s.Number, ETag: s.ETag, Size: s.Size}
}
