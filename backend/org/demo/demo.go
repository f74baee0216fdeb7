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
// cannot drift from the types of package org.
package demo

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/whistle/whistle/backend/org"
)

// Password is the password of every login of the demo data set.
const Password = "whistle-demo"

//go:embed demo.json
var demoJSON []byte

// Dataset decodes the embedded demo data set. A field of demo.json that the
// org types do not know, or anything after the one JSON object, is an error.
// Each call returns a fresh copy that the caller may modify.
func Dataset() (org.Dataset, error) {
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
