package api_test

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/whistle/whistle/backend/archive"
	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// rewriteZip is bundle with the file at path replaced by edit of its bytes,
// every other file copied as it was: what a tamperer with the ZIP does.
func rewriteZip(t *testing.T, bundle []byte, path string, edit func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(bundle), int64(len(bundle)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	found := false
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == path {
			b, found = edit(bytes.Clone(b)), true
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("no %s in the bundle", path)
	}
	return out.Bytes()
}

// failures are the failures of verifying bundle under pub, as the command prints them.
func failures(bundle []byte, pub ed25519.PublicKey) []string {
	rep := archive.Verify(bytes.NewReader(bundle), int64(len(bundle)), pub)
	out := make([]string, len(rep.Failures))
	for i, f := range rep.Failures {
		out[i] = f.String()
	}
	return out
}

// TestCaseBundle_Export: a case opened from an inspection record with two verified photos is
// exported over the API by the street's team leader; the bundle verifies under the server key,
// and a byte changed in an original, in the manifest, or a trail entry altered is each named,
// as is the wrong key. Each original's export is on its custody log.
func TestCaseBundle_Export(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", demo.Password)
	leader := f.login(t, "leader.a", demo.Password)
	r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01"}, "JYCF-BUNDLE-1")
	photos := []item{newItem(testJPEG(t, 64, 48, 41, nil), "image/jpeg", "photo"), newItem(testJPEG(t, 64, 48, 42, nil), "image/jpeg", "photo")}
	for i := range photos {
		photos[i].recordID = r.ID
		expectItem(&r, photos[i])
	}
	body, _ := json.Marshal(r)
	if res := f.client.For(t).PostJSON("/v1/inspections", string(body), officer); res.Status != http.StatusCreated {
		t.Fatalf("record: %d %s", res.Status, res.Body)
	}
	var ids []string
	for _, p := range photos {
		ids = append(ids, upload(t, f.client, officer, p))
	}
	c := intake(t, f, leader, `{"inspection_id":"`+r.ID+`"}`)
	path := "/v1/cases/" + c.Id.String() + "/archive/bundle"

	res := f.client.For(t).Get(path, leader)
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %s %.300s", res.Status, res.Header.Get("Content-Type"), res.Body)
	}
	bundle := res.Body
	pub := trailKey.Public().(ed25519.PublicKey)
	rep := archive.Verify(bytes.NewReader(bundle), int64(len(bundle)), pub)
	if !rep.OK() || rep.Evidence != 2 || rep.Entries == 0 || rep.CaseID != c.Id.String() {
		t.Fatalf("the exported bundle: %+v", rep)
	}
	var m archive.Manifest
	zr, _ := zip.NewReader(bytes.NewReader(bundle), int64(len(bundle)))
	mf, _ := zr.Open(archive.ManifestPath)
	if err := json.NewDecoder(mf).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if len(m.Inspections) != 1 || m.Inspections[0].ID != r.ID || len(m.Evidence) != 2 || m.Archive != nil || m.Reviews == nil {
		t.Fatalf("manifest: %d records, %d items, archive %v, reviews %v", len(m.Inspections), len(m.Evidence), m.Archive, m.Reviews)
	}
	var theCase openapi.Case
	if err := json.Unmarshal(m.Case, &theCase); err != nil || theCase.History == nil || theCase.Id != c.Id {
		t.Fatalf("the manifest's case: %v %s", err, m.Case)
	}
	var history openapi.InspectionHistory
	if err := json.Unmarshal(m.Inspections[0].History, &history); err != nil || len(history.Versions) != 1 {
		t.Fatalf("the manifest's record history: %v %s", err, m.Inspections[0].History)
	}
	actions := map[string]bool{}
	for _, e := range m.Trail.Entries {
		actions[e.Action] = true
	}
	if !actions["inspection.record"] || !actions["case.intake.inspection"] {
		t.Errorf("the case's trail entries lack the record or the intake: %v", actions)
	}
	for _, id := range ids {
		if ev := custodyEvents(t, f.client, leader, id); !slices.Contains(ev, "exported") {
			t.Errorf("custody of %s after the export: %v", id, ev)
		}
	}
	photo := m.Evidence[0].Path
	if !strings.HasPrefix(photo, "evidence/") || !strings.HasSuffix(photo, ".jpg") {
		t.Fatalf("evidence path %q", photo)
	}

	for _, tc := range []struct {
		name   string
		bundle []byte
		key    ed25519.PublicKey
		want   string
	}{
		{"EvidenceByteChanged", rewriteZip(t, bundle, photo, func(b []byte) []byte { b[len(b)/2] ^= 1; return b }), pub,
			photo + ": sha256 differs"},
		{"ManifestByteChanged", rewriteZip(t, bundle, archive.ManifestPath, func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"street_code": "st-a"`), []byte(`"street_code": "st-b"`), 1)
		}), pub, "manifest.json: signature invalid"},
		{"TrailEntryAltered", rewriteZip(t, bundle, archive.SegmentPath, func(b []byte) []byte {
			var out []byte
			for line := range bytes.Lines(b) {
				var e audit.Entry
				json.Unmarshal(line, &e)
				if e.Action == "case.intake.inspection" {
					e.EntityID = "00000000-0000-4000-8000-000000000001"
					line, _ = json.Marshal(e)
					line = append(line, '\n')
				}
				out = append(out, line...)
			}
			return out
		}), pub, "hash differs"},
		{"WrongKey", bundle, otherKey(t), "manifest.json: signature invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := failures(tc.bundle, tc.key)
			if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, tc.want) }) {
				t.Fatalf("failures %q, want one saying %q", got, tc.want)
			}
		})
	}
	t.Run("TrailEntryNamed", func(t *testing.T) {
		var intake audit.Entry
		for _, e := range m.Trail.Entries {
			if e.Action == "case.intake.inspection" {
				intake = e
			}
		}
		altered := rewriteZip(t, bundle, archive.SegmentPath, func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"action":"case.intake.inspection"`), []byte(`"action":"case.intake.inspectioX"`), 1)
		})
		want := "trail entry seq " + strconv.FormatInt(intake.Seq, 10) + ": hash differs"
		if got := failures(altered, pub); !slices.Contains(got, want) {
			t.Fatalf("failures %q, want %q", got, want)
		}
	})
	t.Run("Access", func(t *testing.T) {
		f.client.For(t).Get(path, officer).Problem(t, http.StatusForbidden, "forbidden")
		f.client.For(t).Get(path, f.login(t, "leader.b", demo.Password)).Problem(t, http.StatusNotFound, "not_found")
		if res := f.client.For(t).Get(path, f.login(t, "admin", demo.Password)); res.Status != http.StatusOK ||
			len(failures(res.Body, pub)) != 0 {
			t.Fatalf("admin export: %d %q", res.Status, failures(res.Body, pub))
		}
	})
	t.Run("SigningKey", func(t *testing.T) {
		var k openapi.SigningKey
		f.client.For(t).Get("/v1/signing-key", "").JSON(t, &k)
		if !bytes.Equal(k.PublicKey, pub) || k.Algorithm != openapi.Ed25519 {
			t.Fatalf("signing key %+v", k)
		}
	})
}

func otherKey(t *testing.T) ed25519.PublicKey {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// The export and the public key in the access matrix: the bundle is for street A's team leader
// and administrators (403 to the others who see the case); the key is public.
func init() {
	readMatrix["/v1/cases/{id}/archive/bundle"] = func(_ *testing.T, e *matrixEnv) []matrixObject {
		own := sameForAll(hidden)
		own["leader.a"], own["admin"] = visible, visible
		own["officer.a"], own["grid.a"], own["reviewer.sj"] = forbidden, forbidden, forbidden
		other := sameForAll(hidden)
		other["admin"], other["reviewer.sj"] = visible, forbidden
		return []matrixObject{
			{name: "own", url: "/v1/cases/" + e.cases["st-a"] + "/archive/bundle", want: own},
			{name: "other", url: "/v1/cases/" + e.cases["st-b"] + "/archive/bundle", want: other},
			{name: "unknown", url: "/v1/cases/00000000-0000-4000-8000-00000000dead/archive/bundle", want: sameForAll(hidden)},
		}
	}
	readMatrix["/v1/signing-key"] = func(*testing.T, *matrixEnv) []matrixObject {
		// One key for everyone: "own" and "other" are the same answer.
		return []matrixObject{{name: "own", url: "/v1/signing-key", want: sameForAll(visible)},
			{name: "other", url: "/v1/signing-key", want: sameForAll(visible)}}
	}
}
