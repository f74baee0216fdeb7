package archive

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultNumberFormat is the default format of archive numbers (WHISTLE_ARCHIVE_NUMBER_FORMAT):
// 交道口综执档〔2026〕0001号.
const DefaultNumberFormat = "{street}综执档〔{year}〕{seq:04}号"

// NumberFormat is the format of an archive number (案卷号): text with the placeholders {street}
// (the street's name without its trailing 街道), {street_code}, {year} and {seq} (the number in
// the street's year, from 1; {seq:04} pads it with zeros to 4 digits).
type NumberFormat struct {
	pattern string
}

var placeholder = regexp.MustCompile(`\{([a-z_]+)(?::(0[1-9]))?\}`)

// ParseNumberFormat checks a format: its placeholders known and {seq} among them (a number
// without its sequence would not be unique). "" is DefaultNumberFormat.
func ParseNumberFormat(s string) (NumberFormat, error) {
	if s == "" {
		s = DefaultNumberFormat
	}
	seq := false
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		switch m[1] {
		case "seq":
			seq = true
		case "street", "street_code", "year":
			if m[2] != "" {
				return NumberFormat{}, fmt.Errorf("archive number format %q: only {seq} takes a width", s)
			}
		default:
			return NumberFormat{}, fmt.Errorf("archive number format %q: no placeholder {%s} (known: {street}, {street_code}, {year}, {seq}, {seq:04})", s, m[1])
		}
	}
	if rest := placeholder.ReplaceAllString(s, ""); strings.ContainsAny(rest, "{}") {
		return NumberFormat{}, fmt.Errorf("archive number format %q: a brace outside a placeholder", s)
	}
	if !seq {
		return NumberFormat{}, fmt.Errorf("archive number format %q: {seq} is required", s)
	}
	return NumberFormat{pattern: s}, nil
}

// Number is the archive number of the seq-th closing of year in the street of code and name_zh.
func (f NumberFormat) Number(streetCode, streetName string, year, seq int) string {
	p := f.pattern
	if p == "" {
		p = DefaultNumberFormat
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

// StreetShort is a street's name as archive numbers carry it: without the trailing 街道
// (交道口街道 -> 交道口).
func StreetShort(nameZH string) string {
	if short := strings.TrimSuffix(nameZH, "街道"); short != "" {
		return short
	}
	return nameZH
}

// shanghai is the zone of archive years: mainland China has kept UTC+8 without summer time since
// 1991, so the fixed zone is the fallback where the time zone database is absent.
var shanghai = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}()

// YearOf is the archive year of a closing at t: its year in Asia/Shanghai, so that a case closed
// at 2026-12-31T16:30Z (00:30 on 1 January in Beijing) is numbered in 2027.
func YearOf(t time.Time) int { return t.In(shanghai).Year() }
