package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/openapi"
)

// TestConvert_RoundTrip sends a request body of each type with every field
// set through its In conversion and back out, and wants it unchanged: a
// field of the contract that a conversion forgets comes back empty. It also
// wants every field of the domain value set, except those the API does not
// carry, so that a field added to the domain is either converted or named
// here on purpose.
func TestConvert_RoundTrip(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T) (in, out, domain any)
		// notCarried are the domain fields the request does not fill, as
		// paths from the domain value.
		notCarried []string
	}{
		{"Dataset", roundTrip(datasetIn, datasetOut), nil},
		{"Certificate", roundTrip(certificateIn, certificateOut), nil},
		{"MatterInput", roundTrip(matterIn, matterInputOut), []string{".Version", ".ValidTo"}},
		{"Policy", roundTrip(policyIn, policyOut), nil},
		{"InspectionRecord", roundTripErr(recordIn, recordOut), nil},
		{"Amendment", roundTripErr(amendmentIn, amendmentOut), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, out, domain := tt.run(t)
			if zero := zeroFields(in); len(zero) > 0 {
				t.Fatalf("the filler left fields of the request empty: %v", zero)
			}
			if !reflect.DeepEqual(in, out) {
				t.Errorf("round trip changed the value:\n in: %s\nout: %s", jsonOf(in), jsonOf(out))
			}
			if zero := zeroFields(domain); !slices.Equal(zero, tt.notCarried) {
				t.Errorf("domain fields left empty: %v, want %v", zero, tt.notCarried)
			}
		})
	}
}

// roundTrip fills an A, converts it in with in and back with out.
func roundTrip[A, D any](in func(A) D, out func(D) A) func(t *testing.T) (any, any, any) {
	return roundTripErr(in, func(d D) (A, error) { return out(d), nil })
}

// roundTripErr is roundTrip for an Out conversion that can fail.
func roundTripErr[A, D any](in func(A) D, out func(D) (A, error)) func(t *testing.T) (any, any, any) {
	return func(t *testing.T) (any, any, any) {
		a := fillAll[A]()
		d := in(a)
		back, err := out(d)
		if err != nil {
			t.Fatal(err)
		}
		return a, back, d
	}
}

// The Out conversions of request types the API never answers with, here
// only to close the round trip.

func datasetOut(d org.Dataset) openapi.Dataset {
	return openapi.Dataset{
		Districts:    ptr(convertAll(d.Districts, districtOut)),
		Streets:      ptr(convertAll(d.Streets, streetOut)),
		Communities:  ptr(convertAll(d.Communities, communityOut)),
		GridCenters:  ptr(convertAll(d.GridCenters, gridCenterOut)),
		Departments:  ptr(convertAll(d.Departments, departmentOut)),
		Teams:        ptr(convertAll(d.Teams, teamOut)),
		Officers:     ptr(convertAll(d.Officers, officerOut)),
		Certificates: ptr(convertAll(d.Certificates, certificateOut)),
		Matters:      ptr(convertAll(d.Matters, matterRowOut)),
		Policies:     ptr(convertAll(d.Policies, policyOut)),
		Logins:       ptr(convertAll(d.Logins, loginOut)),
	}
}

func districtOut(d org.District) openapi.District {
	return openapi.District{Code: d.Code, NameZh: d.NameZH, NameEn: ptr(d.NameEN)}
}

func communityOut(c org.Community) openapi.Community {
	return openapi.Community{Code: c.Code, StreetCode: c.StreetCode, NameZh: c.NameZH, NameEn: ptr(c.NameEN)}
}

func gridCenterOut(g org.GridCenter) openapi.GridCenter {
	return openapi.GridCenter{Code: g.Code, Level: openapi.GridCenterLevel(g.Level), DistrictCode: g.DistrictCode,
		StreetCode: optional(g.StreetCode), NameZh: g.NameZH}
}

func matterRowOut(m org.Matter) openapi.MatterRow {
	return openapi.MatterRow{Code: m.Code, Version: m.Version, NameZh: m.NameZH, NameEn: ptr(m.NameEN), LegalBasis: m.LegalBasis,
		DepartmentCode: m.DepartmentCode, Measures: enums[openapi.Measure](m.Measures), FineMaxPerson: optional(m.FineMaxPerson),
		FineMaxOrg: optional(m.FineMaxOrg), DefaultWhistle: string(m.DefaultWhistle), ValidFrom: m.ValidFrom, ValidTo: m.ValidTo}
}

func matterInputOut(m org.Matter) openapi.MatterInput {
	return openapi.MatterInput{Code: m.Code, NameZh: m.NameZH, NameEn: ptr(m.NameEN), LegalBasis: m.LegalBasis,
		DepartmentCode: m.DepartmentCode, Measures: enums[openapi.Measure](m.Measures), FineMaxPerson: optional(m.FineMaxPerson),
		FineMaxOrg: optional(m.FineMaxOrg), DefaultWhistle: openapi.MatterInputDefaultWhistle(m.DefaultWhistle), ValidFrom: m.ValidFrom}
}

func loginOut(l org.Login) openapi.Login {
	return openapi.Login{Username: l.Username, DisplayName: l.DisplayName, Role: openapi.Role(l.Role), Password: optional(l.Password),
		OfficerCode: optional(l.OfficerCode), StreetCode: optional(l.StreetCode), DepartmentCode: optional(l.DepartmentCode),
		CommunityCode: optional(l.CommunityCode)}
}

func amendmentOut(a inspection.AmendArgs) (openapi.Amendment, error) {
	r, err := recordOut(a.Record)
	return openapi.Amendment{BaseVersion: a.BaseVersion, Reason: a.Reason, Record: r}, err
}

// filler sets every field of a value, however deep, to a value of its own:
// strings are distinct UUIDs (so that ids parse), numbers distinct and exact
// in float32, times distinct instants, lists two elements, maps one entry,
// pointers allocated.
type filler struct {
	n    int
	base time.Time
}

var (
	timeType = reflect.TypeFor[time.Time]()
	uuidType = reflect.TypeFor[uuid.UUID]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// fillAll returns a T with every field set.
func fillAll[T any]() T {
	var v T
	f := filler{base: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	f.fill(reflect.ValueOf(&v).Elem())
	return v
}

func (f *filler) next() int { f.n++; return f.n }

// id is a distinct string that is also a UUID.
func (f *filler) id() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", f.next()) }

func (f *filler) fill(v reflect.Value) {
	switch v.Type() {
	case timeType:
		v.Set(reflect.ValueOf(f.base.Add(time.Duration(f.next()) * time.Second)))
		return
	case uuidType:
		v.Set(reflect.ValueOf(uuid.MustParse(f.id())))
		return
	case rawType:
		v.Set(reflect.ValueOf(json.RawMessage(fmt.Sprintf(`{"n":%d}`, f.next()))))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(f.id())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(f.next()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.next()))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(f.next()) + 0.25)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range v.Len() {
			f.fill(v.Index(i))
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		f.fill(k)
		f.fill(e)
		v.SetMapIndex(k, e)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i))
			}
		}
	case reflect.Interface:
		v.Set(reflect.ValueOf(f.id()))
	default:
		panic(fmt.Sprintf("filler: no value for %s", v.Type()))
	}
}

// zeroFields lists the paths of v's fields that are empty, in field order;
// a time, a UUID or a list is one field.
func zeroFields(v any) []string {
	var out []string
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		if v.IsZero() {
			out = append(out, path)
			return
		}
		if v.Type() == timeType || v.Type() == uuidType {
			return
		}
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			walk(path, v.Elem())
		case reflect.Slice:
			if v.Len() == 0 {
				out = append(out, path)
			}
			for i := range v.Len() {
				walk(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(fmt.Sprintf("%s[%v]", path, k), v.MapIndex(k))
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if f := v.Type().Field(i); f.IsExported() {
					walk(path+"."+f.Name, v.Field(i))
				}
			}
		}
	}
	walk("", reflect.ValueOf(v))
	return out
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(string(b))
}
