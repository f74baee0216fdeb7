package archive

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/derrors"
)

// maxManifest bounds what Verify reads of the manifest and its signature
// into memory; every other file is streamed.
const maxManifest = 256 << 20

// Failure is one thing of a bundle that does not verify: the file (or trail
// entry) and what is wrong with it.
type Failure struct {
	Where   string // a path in the bundle, "trail entry seq N", "trail head"
	Problem string
}

func (f Failure) String() string { return f.Where + ": " + f.Problem }

// Report is the outcome of Verify: what was checked, and every failure.
type Report struct {
	CaseID string
	// Files and Evidence count the files and the originals whose SHA-256
	// was checked; Entries the trail entries of the case found in the segment.
	Files, Evidence, Entries int
	Segment                  Segment
	Head                     audit.Head
	Failures                 []Failure
}

// OK reports whether everything verified.
func (r Report) OK() bool { return len(r.Failures) == 0 }

func (r *Report) fail(where, format string, args ...any) {
	r.Failures = append(r.Failures, Failure{Where: where, Problem: fmt.Sprintf(format, args...)})
}

// ParsePublicKey reads an Ed25519 public key written as hex or base64
// (standard or URL alphabet, padded or not). It returns derrors.Invalid for
// anything else.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
			return b, nil
		}
	}
	return nil, derrors.Invalidf("key", "not an Ed25519 public key (%d bytes) in hex or base64", ed25519.PublicKeySize)
}

// Verify checks the bundle in r (size bytes) with the public key pub alone:
// the manifest's signature under pub; every file's SHA-256 against the
// manifest, and no file the manifest does not list; every original's SHA-256
// against its evidence item; the trail segment chaining entry to entry
// (audit.Entry.ComputeHash, PrevHash) and ending in the anchored head, whose
// signature must verify under pub; and every trail entry of the manifest
// being in the segment with the same hash. It reports every failure, not only
// the first; the files are streamed, so a bundle of any size verifies in
// bounded memory.
func Verify(r io.ReaderAt, size int64, pub ed25519.PublicKey) Report {
	var rep Report
	zr, err := zip.NewReader(r, size)
	if err != nil {
		rep.fail("bundle", "not a ZIP archive (%v)", err)
		return rep
	}
	byPath := map[string]*zip.File{}
	for _, f := range zr.File {
		if byPath[f.Name] != nil {
			rep.fail(f.Name, "in the bundle twice")
		}
		byPath[f.Name] = f
	}
	body, err := readSmall(byPath[ManifestPath])
	if err != nil {
		rep.fail(ManifestPath, "%v", err)
		return rep
	}
	sigText, err := readSmall(byPath[SignaturePath])
	if err != nil {
		rep.fail(SignaturePath, "%v", err)
	} else if sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sigText))); err != nil || !ed25519.Verify(pub, body, sig) {
		rep.fail(ManifestPath, "signature invalid")
	}
	var m Manifest
	if err := json.Unmarshal(body, &m); err != nil || m.Format != Format {
		rep.fail(ManifestPath, "not a bundle manifest of format %s", Format)
		return rep
	}
	rep.CaseID, rep.Segment, rep.Head = m.CaseID, m.Trail.Segment, m.Trail.Head.Head

	actual := rep.checkFiles(m, byPath)
	for _, it := range m.Evidence {
		if it.Path == "" {
			continue
		}
		rep.Evidence++
		if got, ok := actual[it.Path]; ok && got != it.SHA256 {
			rep.fail(it.Path, "sha256 differs from evidence item %s", it.ID)
		}
	}
	if b, err := readSmall(byPath[PublicKeyPath]); err == nil && strings.TrimSpace(string(b)) != base64.StdEncoding.EncodeToString(pub) {
		rep.fail(PublicKeyPath, "not the key given to the verifier (the bundle names another server key)")
	}
	rep.checkTrail(m.Trail, byPath[m.Trail.Segment.Path], pub)
	return rep
}

// checkFiles hashes every file the manifest lists and names those that
// differ, are missing or are not listed; it returns the SHA-256 of each file
// read, by path.
func (r *Report) checkFiles(m Manifest, byPath map[string]*zip.File) map[string]string {
	actual := map[string]string{}
	listed := map[string]bool{ManifestPath: true, SignaturePath: true}
	for _, f := range m.Files {
		listed[f.Path] = true
		zf := byPath[f.Path]
		if zf == nil {
			r.fail(f.Path, "missing")
			continue
		}
		sum, n, err := hashFile(zf)
		if err != nil {
			r.fail(f.Path, "unreadable (%v)", err)
			continue
		}
		r.Files++
		actual[f.Path] = sum
		if sum != f.SHA256 || n != f.Length {
			r.fail(f.Path, "sha256 differs")
		}
	}
	for path := range byPath {
		if !listed[path] {
			r.fail(path, "not in the manifest")
		}
	}
	return actual
}

// checkTrail verifies the segment entry by entry up to the anchored head,
// and finds each of the case's entries in it.
func (r *Report) checkTrail(t Trail, seg *zip.File, pub ed25519.PublicKey) {
	if !t.Head.Verify() || !bytes.Equal(t.Head.PublicKey, pub) {
		r.fail("trail head", "signature invalid under the given key")
	}
	want := map[int64]string{}
	for _, e := range t.Entries {
		if e.ComputeHash() != e.Hash {
			r.fail(fmt.Sprintf("trail entry seq %d", e.Seq), "hash differs")
		}
		want[e.Seq] = e.Hash
	}
	if seg == nil {
		r.fail(t.Segment.Path, "missing")
		return
	}
	rc, err := seg.Open()
	if err != nil {
		r.fail(t.Segment.Path, "unreadable (%v)", err)
		return
	}
	defer rc.Close()
	dec := json.NewDecoder(bufio.NewReader(rc))
	var prev *audit.Entry
	for {
		var e audit.Entry
		if err := dec.Decode(&e); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			r.fail(t.Segment.Path, "not JSON lines of trail entries after seq %d (%v)", seqOf(prev), err)
			return
		}
		where := fmt.Sprintf("trail entry seq %d", e.Seq)
		switch {
		case e.Chain != t.Chain:
			r.fail(where, "of chain %q, not the case's %q", e.Chain, t.Chain)
		case prev == nil && e.Seq != t.Segment.FirstSeq:
			r.fail(where, "the segment starts here, not at seq %d", t.Segment.FirstSeq)
		case prev != nil && e.Seq != prev.Seq+1:
			r.fail(where, "follows seq %d (entries missing or out of order)", prev.Seq)
		case prev != nil && e.PrevHash != prev.Hash:
			r.fail(where, "does not chain to seq %d (prev_hash differs)", prev.Seq)
		case e.Seq == 1 && e.PrevHash != audit.GenesisHash:
			r.fail(where, "first of its chain without the genesis prev_hash")
		}
		if e.ComputeHash() != e.Hash {
			r.fail(where, "hash differs")
		}
		if h, ok := want[e.Seq]; ok {
			if h != e.Hash {
				r.fail(where, "hash differs from the manifest's entry")
			}
			delete(want, e.Seq)
			r.Entries++
		}
		prev = &e
	}
	switch {
	case prev == nil:
		r.fail(t.Segment.Path, "empty")
	case prev.Seq != t.Head.Seq || prev.Hash != t.Head.Hash || prev.Chain != t.Head.Chain:
		r.fail(t.Segment.Path, "does not end in the anchored head (seq %d, ends at seq %d)", t.Head.Seq, prev.Seq)
	case t.Segment.LastSeq != t.Head.Seq:
		r.fail(ManifestPath, "segment said to end at seq %d, the anchored head is seq %d", t.Segment.LastSeq, t.Head.Seq)
	}
	for seq := range want {
		r.fail(fmt.Sprintf("trail entry seq %d", seq), "not in the trail segment")
	}
}

func seqOf(e *audit.Entry) int64 {
	if e == nil {
		return 0
	}
	return e.Seq
}

// readSmall reads f whole, up to maxManifest bytes.
func readSmall(f *zip.File) ([]byte, error) {
	if f == nil {
		return nil, errors.New("missing")
	}
	if f.UncompressedSize64 > maxManifest {
		return nil, fmt.Errorf("larger than %d bytes", maxManifest)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, maxManifest))
}

// hashFile streams f through SHA-256. A file whose bytes no longer match
// the ZIP's own CRC is hashed all the same: its hash then names the change.
func hashFile(f *zip.File) (string, int64, error) {
	rc, err := f.Open()
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil && !errors.Is(err, zip.ErrChecksum) {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
