package postgres_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
)

var update = flag.Bool("update", false, "rewrite testdata/jsonb from the current storage structs")

// filler sets every field of a value to a non-zero value, each one
// different, so that a field the storage struct or its conversions forget
// comes back zero and the comparison names it.
type filler struct {
	t testing.TB
	n int
}

// fillerEpoch is the first instant the filler writes. It is a value in a
// stored row, not a day any rule judges, so it is fixed: the testdata
// files are these rows as stored.
var fillerEpoch = time.Date(2026, 11, 24, 9, 30, 0, 123456789, time.UTC)

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

func (f *filler) next() int { f.n++; return f.n }

// fill fills v: strings, numbers and booleans directly, structs field by
// field, pointers with a filled value, slices with two filled elements.
func (f *filler) fill(v reflect.Value) {
	t := v.Type()
	switch t {
	case timeType:
		v.Set(reflect.ValueOf(fillerEpoch.Add(time.Duration(f.next()) * (time.Minute + time.Millisecond))))
		return
	case rawType:
		v.SetBytes(fmt.Appendf(nil, `"raw %d"`, f.next()))
		return
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("%s-%d", t.Name(), f.next()))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(f.next()))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(f.next()) + 0.25)
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		f.fill(p.Elem())
		v.Set(p)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			v.SetBytes(fmt.Appendf(nil, "bytes %d", f.next()))
			return
		}
		s := reflect.MakeSlice(t, 2, 2)
		f.fill(s.Index(0))
		f.fill(s.Index(1))
		v.Set(s)
	case reflect.Struct:
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				f.t.Fatalf("fill: %s.%s is unexported: a jsonb column cannot hold it", t, t.Field(i).Name)
			}
			f.fill(v.Field(i))
		}
	default:
		f.t.Fatalf("fill: no rule for %s (%s)", t, t.Kind())
	}
}

// filled returns a T with every field set.
func filled[T any](t testing.TB) T {
	var v T
	(&filler{t: t}).fill(reflect.ValueOf(&v).Elem())
	return v
}

// jsonbColumn is the encoding of one kind of jsonb column, through its
// storage struct, as the stores write and read it.
type jsonbColumn struct {
	name string // its rows in testdata/jsonb/<name>.json and <name>.zero.json
	// zeroStored: the zero value is stored as itself too (a nil list is
	// stored empty, so the zero list is not).
	zeroStored bool
	// roundTrip stores the filled value (or, with zero, the zero value)
	// and loads it back through db, returning both and the stored text.
	roundTrip func(t *testing.T, db *postgres.DB, zero bool) (want, got any, stored string)
}

func column[T any](name string, encode func(T) (string, error), decode func([]byte) (T, error), zeroStored bool) jsonbColumn {
	return jsonbColumn{name: name, zeroStored: zeroStored, roundTrip: func(t *testing.T, db *postgres.DB, zero bool) (any, any, string) {
		var want T
		if !zero {
			want = filled[T](t)
		}
		text, err := encode(want)
		if err != nil {
			t.Fatal(err)
		}
		// Through the database: jsonb reorders keys and respaces.
		var rows []struct{ Stored []byte }
		if err := db.Gorm.Raw(`SELECT convert_to((?::jsonb)::text, 'UTF8') AS stored`, text).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		got, err := decode(rows[0].Stored)
		if err != nil {
			t.Fatal(err)
		}
		return want, got, text
	}}
}

var jsonbColumns = []jsonbColumn{
	column("inspection_state", postgres.EncodeState, postgres.DecodeState, true),
	column("inspection_record", postgres.EncodeRecord, postgres.DecodeRecord, true),
	column("sync_result", postgres.EncodeResult, postgres.DecodeResult, true),
	column("evidence_exif", postgres.EncodeEXIF, postgres.DecodeEXIF, true),
	column("evidence_head", postgres.EncodeHead, postgres.DecodeHead, true),
	column("evidence_parts", postgres.EncodeParts, postgres.DecodeParts, false),
}

// TestJSONB_RoundTrip stores a value with every field set, and the zero
// value, in each kind of jsonb column the stores keep through a storage
// struct, and loads it back unchanged. The stored text must be the rows of
// testdata/jsonb, first written from the domain types' own JSON (what the
// stores wrote before they had storage structs): rows stored before keep
// reading as they did. A field added to a domain type fails here until its
// storage struct and conversions carry it; then
// `deploy/local/test.sh -run TestJSONB ./backend/postgres/ -args -update`
// rewrites the files, whose diff shows the new keys and nothing else.
func TestJSONB_RoundTrip(t *testing.T) {
	db, _ := pgtest.New(t)
	for _, c := range jsonbColumns {
		t.Run(c.name, func(t *testing.T) {
			cases := []bool{false}
			if c.zeroStored {
				cases = append(cases, true)
			}
			for _, zero := range cases {
				name, file := "Filled", c.name+".json"
				if zero {
					name, file = "Zero", c.name+".zero.json"
				}
				t.Run(name, func(t *testing.T) {
					want, got, stored := c.roundTrip(t, db, zero)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("stored and loaded:\n got %+v\nwant %+v", got, want)
					}
					path := filepath.Join("testdata", "jsonb", file)
					if *update {
						var out bytes.Buffer
						if err := json.Indent(&out, []byte(stored), "", "  "); err != nil {
							t.Fatal(err)
						}
						out.WriteByte('\n')
						if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
							t.Fatal(err)
						}
					}
					golden, err := os.ReadFile(path)
					if err != nil {
						t.Fatal(err)
					}
					if !sameJSON(t, []byte(stored), golden) {
						t.Errorf("stored text differs from %s (rows stored before would read otherwise):\n got %s\nwant %s", path, stored, golden)
					}
				})
			}
		})
	}
}

// sameJSON reports whether a and b hold the same JSON value, as jsonb
// compares them: key order and spacing aside.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(va, vb)
}
