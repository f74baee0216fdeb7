// Package demo is the demo data set of Whistle: one org.Dataset describing a
// realistic slice of Beijing's Dongcheng district (东城区) as the source paper
// describes it.
//
// It holds two streets (交道口街道 and 东华门街道) with three communities each,
// the district grid center and one grid center per street; the 26 district
// enforcement departments (the urban-management squad, the 5 resident
// departments of table 1 and 20 listed units 挂牌单位); one comprehensive
// enforcement team 综合执法队 per street composed as in table 1 (all of the
// squad, police 2, market regulation 2, food and drug 1, traffic 1, fire 2)
// plus auxiliary staff; enforcement certificates, some expired, one
// suspended and one suspended then reinstated, so that every procedure tier
// can be shown; a matter catalogue 权责清单 with legal bases, including
// matters with a second version; procedure policies; and demo logins for every
// role (password "whistle-demo").
//
// The data is embedded from demo.json and decoded strictly, so the file
// cannot drift from the types of package org. demo.json is written as of
// its Anchor day; Dataset moves every date in it to the day it is loaded,
// so the demo tells the same story on any day (a certificate that ended four
// days before the anchor ends four days before today).
package demo

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/whistle/whistle/backend/org"
)

// Password is the password of every login of the demo data set.
const Password = "whistle-demo"

//go:embed demo.json
var demoJSON []byte

// Anchor is the day demo.json is written as of.
var Anchor = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)

// Shift is how far Dataset(today) moves every date of demo.json: the whole
// days from Anchor to today's date (UTC).
func Shift(today time.Time) time.Duration {
	days := today.UTC().Truncate(24*time.Hour).Sub(Anchor) / (24 * time.Hour)
	return days * 24 * time.Hour
}

// Dataset decodes the embedded demo data set as of today: every date in it
// moves by Shift(today). A field of demo.json that the org types do not
// know, or anything after the one JSON object, is an error. Each call
// returns a fresh copy that the caller may modify.
func Dataset(today time.Time) (org.Dataset, error) {
	ds, err := decode()
	if err != nil {
		return org.Dataset{}, err
	}
	move(&ds, Shift(today))
	return ds, nil
}

func decode() (org.Dataset, error) {
	dec := json.NewDecoder(bytes.NewReader(demoJSON))
	dec.DisallowUnknownFields()
	var ds org.Dataset
	if err := dec.Decode(&ds); err != nil {
		return org.Dataset{}, fmt.Errorf("demo: decode demo.json: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return org.Dataset{}, errors.New("demo: decode demo.json: trailing data after the data set")
	}
	return ds, nil
}

// move moves every date of ds by d.
func move(ds *org.Dataset, d time.Duration) {
	at := func(t *time.Time) {
		if t != nil {
			*t = t.Add(d)
		}
	}
	for i := range ds.Officers {
		for j := range ds.Officers[i].Memberships {
			m := &ds.Officers[i].Memberships[j]
			at(&m.From)
			at(m.To)
		}
	}
	for i := range ds.Certificates {
		c := &ds.Certificates[i]
		at(&c.ValidFrom)
		at(&c.ValidTo)
		for j := range c.Status {
			at(&c.Status[j].Since)
		}
	}
	for i := range ds.Matters {
		at(&ds.Matters[i].ValidFrom)
		at(ds.Matters[i].ValidTo)
	}
	for i := range ds.Policies {
		at(&ds.Policies[i].ValidFrom)
	}
}

// Story reads dates of the demo's story, written as of Anchor, as they are
// in a demo loaded on another day: tests and examples name them as written
// in demo.json ("a-sj-02's certificate ended 2026-11-20") and get the day
// it ended in the data set they loaded.
type Story struct{ days int }

// StoryOn is the story of the demo loaded on today.
func StoryOn(today time.Time) Story { return Story{days: int(Shift(today) / (24 * time.Hour))} }

// storyDate is a date, optionally followed by an RFC 3339 time of day.
var storyDate = regexp.MustCompile(`\b(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))?\b`)

// Text moves every date written in text (2026-11-20, or the date of an RFC
// 3339 time) by the story's days, keeping the time of day as written. A
// date that does not exist (2026-02-30) stays as written.
func (s Story) Text(text string) string {
	return storyDate.ReplaceAllStringFunc(text, func(m string) string {
		date, rest := m[:10], m[10:]
		d, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return m
		}
		return d.AddDate(0, 0, s.days).Format(time.DateOnly) + rest
	})
}

// At is the moment of an RFC 3339 time or a date of the story. It panics on
// anything else: its argument is a literal of a test or an example.
func (s Story) At(text string) time.Time {
	moved := s.Text(text)
	if t, err := time.Parse(time.RFC3339Nano, moved); err == nil {
		return t
	}
	t, err := time.Parse(time.DateOnly, moved)
	if err != nil {
		panic(fmt.Sprintf("demo: %q is neither an RFC 3339 time nor a date", text))
	}
	return t
}
