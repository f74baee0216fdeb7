package postgres

import (
	"encoding/json"

	"github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/inspection"
	wsync "github.com/whistle/whistle/sync"
)

// domainJSON and fromDomainJSON are how the stores encode their jsonb
// columns for now: the domain types' own JSON.
func domainJSON[T any](v T) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func fromDomainJSON[T any](b []byte) (T, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

// The encodings of the jsonb columns, for the external tests.
var (
	EncodeState, DecodeState   = domainJSON[inspection.State], fromDomainJSON[inspection.State]
	EncodeRecord, DecodeRecord = domainJSON[inspection.Record], fromDomainJSON[inspection.Record]
	EncodeResult, DecodeResult = domainJSON[wsync.Result], fromDomainJSON[wsync.Result]
	EncodeEXIF, DecodeEXIF     = domainJSON[evidence.EXIF], fromDomainJSON[evidence.EXIF]
	EncodeHead, DecodeHead     = domainJSON[evidence.Head], fromDomainJSON[evidence.Head]
	EncodeParts, DecodeParts   = domainJSON[[]evidence.Part], fromDomainJSON[[]evidence.Part]
)
