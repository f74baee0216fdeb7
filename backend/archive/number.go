package archive

import "github.com/whistle/whistle/backend/numbering"

// DefaultNumberFormat is the default format of archive numbers (WHISTLE_ARCHIVE_NUMBER_FORMAT):
// 交道口综执档〔2026〕0001号.
const DefaultNumberFormat = "{street}综执档〔{year}〕{seq:04}号"

// defaultFormat is DefaultNumberFormat parsed: the format of a Service given the zero one.
var defaultFormat = numbering.MustParse(DefaultNumberFormat)
