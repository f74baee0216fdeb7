package postgres

// The encodings of the jsonb columns through their storage structs, for
// the external tests.
var (
	EncodeState, DecodeState   = stateJSON, stateFromJSON
	EncodeRecord, DecodeRecord = recordJSON, recordFromJSON
	EncodeResult, DecodeResult = resultJSON, resultFromJSON
	EncodeEXIF, DecodeEXIF     = exifJSON, exifFromJSON
	EncodeHead, DecodeHead     = headJSON, headFromJSON
	EncodeParts, DecodeParts   = partsJSON, partsFromJSON
)
