// Package numbering formats the gapless numbers of a street's year: archive numbers of closed
// cases (案卷号, 交道口综执档〔2026〕0001号) and whistle numbers (交道口吹哨〔2026〕0001号). A
// series is counted per street and year (the year in Asia/Shanghai); the count itself is kept by
// the store, in the transaction of the act that takes a number, so that a rolled-back act gives
// its number back.
package numbering

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/clock"
)

// Series names a sequence of numbers counted apart per street and year.
type Series string

// The series of the district.
const (
	SeriesArchive Series = "archive" // archive numbers of closed cases
	SeriesWhistle Series = "whistle" // whistle numbers
)

// Format is the format of a number: text with the placeholders {street} (the street's name
// without its trailing 街道), {street_code}, {year} and {seq} (the number in the street's year,
// from 1; {seq:04} pads it with zeros to 4 digits). The zero Format is "{street}〔{year}〕{seq:04}号".
type Format struct {
	pattern string
}

// fallback is the pattern of the zero Format.
const fallback = "{street}〔{year}〕{seq:04}号"

var placeholder = regexp.MustCompile(`\{([a-z_]+)(?::(0[1-9]))?\}`)

// Parse checks a format: its placeholders known and {seq} among them (a number without its
// sequence would not be unique). "" is def.
func Parse(s, def string) (Format, error) {
	if s == "" {
		s = def
	}
	seq := false
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		switch m[1] {
		case "seq":
			seq = true
		case "street", "street_code", "year":
			if m[2] != "" {
				return Format{}, fmt.Errorf("number format %q: only {seq} takes a width", s)
			}
		default:
			return Format{}, fmt.Errorf("number format %q: no placeholder {%s} (known: {street}, {street_code}, {year}, {seq}, {seq:04})", s, m[1])
		}
	}
	if rest := placeholder.ReplaceAllString(s, ""); strings.ContainsAny(rest, "{}") {
		return Format{}, fmt.Errorf("number format %q: a brace outside a placeholder", s)
	}
	if !seq {
		return Format{}, fmt.Errorf("number format %q: {seq} is required", s)
	}
	return Format{pattern: s}, nil
}

// MustParse is Parse of a format known to be valid (a package's default); it panics otherwise.
func MustParse(s string) Format {
	f, err := Parse(s, "")
	if err != nil {
		panic(err)
	}
	return f
}

// IsZero reports whether f is the zero Format (no pattern parsed).
func (f Format) IsZero() bool { return f.pattern == "" }

// Number is the seq-th number of year in the street of code and name_zh.
func (f Format) Number(streetCode, streetName string, year, seq int) string {
	p := f.pattern
	if p == "" {
		p = fallback
	}
	return placeholder.ReplaceAllStringFunc(p, func(ph string) string {
		m := placeholder.FindStringSubmatch(ph)
		switch m[1] {
		case "street":
			return StreetShort(streetName)
		case "street_code":
			return streetCode
		case "year":
			return strconv.Itoa(year)
		}
		if m[2] != "" {
			width, _ := strconv.Atoi(m[2][1:])
			return fmt.Sprintf("%0*d", width, seq)
		}
		return strconv.Itoa(seq)
	})
}

// StreetShort is a street's name as numbers carry it: without the trailing 街道
// (交道口街道 -> 交道口).
func StreetShort(nameZH string) string {
	if short := strings.TrimSuffix(nameZH, "街道"); short != "" {
		return short
	}
	return nameZH
}

// YearOf is the numbering year of an act at t: its year in Asia/Shanghai, so that a case closed
// at 2026-12-31T16:30Z (00:30 on 1 January in Beijing) is numbered in 2027.
func YearOf(t time.Time) int { return t.In(clock.Beijing).Year() }
