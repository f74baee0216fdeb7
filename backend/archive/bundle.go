package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"slices"
	"time"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

// MayExport reports whether sc may export the bundle of a case of street:
// the street's team leader, who archives its cases, and administrators.
func MayExport(sc org.Scope, street string) bool {
	switch sc.Role {
	case org.RoleAdmin:
		return true
	case org.RoleTeamLeader:
		return sc.StreetCode != "" && sc.StreetCode == street
	}
	return false
}

// LatestAnchor returns the last head of chain anchored in bucket under pub
// (the export anchors first, so that it covers the case's latest entries).
// Anchors not signed by pub are passed over, as audit.ReadAnchors does. It
// returns derrors.NotFound when the chain has no trusted anchor.
func LatestAnchor(ctx context.Context, bucket audit.AnchorBucket, chain string, pub ed25519.PublicKey) (audit.SignedHead, error) {
	keys, err := bucket.ListKeys(ctx, audit.AnchorPrefix+url.PathEscape(chain)+"/")
	if err != nil {
		return audit.SignedHead{}, fmt.Errorf("read audit anchors: %w", err)
	}
	for _, k := range slices.Backward(keys) {
		body, err := bucket.GetObjectBytes(ctx, k)
		if err != nil {
			return audit.SignedHead{}, fmt.Errorf("read audit anchor %s: %w", k, err)
		}
		var sh audit.SignedHead
		if json.Unmarshal(body, &sh) == nil && sh.Verify() && bytes.Equal(sh.PublicKey, pub) && audit.AnchorKey(sh.Head) == k {
			return sh, nil
		}
	}
	return audit.SignedHead{}, derrors.New(derrors.NotFound, "audit chain %q has no anchored head", chain)
}

// Writer writes a bundle as a ZIP onto a stream, file by file, without
// holding any file whole: each is hashed as it is written, and the manifest,
// which names every hash, is written last (Finish).
type Writer struct {
	zw    *zip.Writer
	files []File
	paths map[string]bool
}

// NewWriter returns a Writer of a bundle onto w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{zw: zip.NewWriter(w), paths: map[string]bool{}}
}

// Has reports whether path is written already.
func (b *Writer) Has(path string) bool { return b.paths[path] }

// Add writes the file at path with what write writes to it, hashing it on
// the way, and lists it for the manifest. A path written twice is refused
// (derrors.Internal: the caller names each file once).
func (b *Writer) Add(path string, write func(io.Writer) error) (File, error) {
	if b.paths[path] || path == ManifestPath || path == SignaturePath {
		return File{}, derrors.New(derrors.Internal, "bundle file %s written twice", path)
	}
	b.paths[path] = true
	zf, err := b.zw.CreateHeader(&zip.FileHeader{Name: path, Method: zip.Deflate})
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(zf, h)}
	if err := write(cw); err != nil {
		return File{}, fmt.Errorf("bundle file %s: %w", path, err)
	}
	f := File{Path: path, Length: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))}
	b.files = append(b.files, f)
	return f, nil
}

// AddEvidence streams the original of it from r to its EvidencePath, and
// returns it with its path. Bytes whose SHA-256 is not it.SHA256 are
// refused (derrors.Internal): the bundle would not verify.
func (b *Writer) AddEvidence(it EvidenceEntry, r io.Reader) (EvidenceEntry, error) {
	it.Path = EvidencePath(it.SHA256, it.ContentType)
	f, err := b.Add(it.Path, func(w io.Writer) error { _, err := io.Copy(w, r); return err })
	if err != nil {
		return it, err
	}
	if f.SHA256 != it.SHA256 || f.Length != it.Length {
		return it, derrors.New(derrors.Internal, "evidence %s streamed %d bytes of SHA-256 %s, not its verified %d of %s", it.ID, f.Length, f.SHA256, it.Length, it.SHA256)
	}
	return it, nil
}

// Finish writes the index and the public key of key, then the manifest m,
// completed with the files written, and its signature by key; and closes the
// ZIP (not the stream under it).
func (b *Writer) Finish(m Manifest, key ed25519.PrivateKey) error {
	m.Format = Format
	pub := base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	if _, err := b.Add(IndexPath, func(w io.Writer) error { return writeIndex(w, m) }); err != nil {
		return err
	}
	if _, err := b.Add(PublicKeyPath, func(w io.Writer) error { _, err := io.WriteString(w, pub+"\n"); return err }); err != nil {
		return err
	}
	m.Files = b.files
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return derrors.Wrap(err, derrors.Internal, "encode the bundle manifest")
	}
	for _, f := range []struct {
		path string
		body []byte
	}{{ManifestPath, body}, {SignaturePath, []byte(base64.StdEncoding.EncodeToString(ed25519.Sign(key, body)) + "\n")}} {
		zf, err := b.zw.CreateHeader(&zip.FileHeader{Name: f.path, Method: zip.Deflate})
		if err != nil {
			return err
		}
		if _, err := zf.Write(f.body); err != nil {
			return err
		}
	}
	return b.zw.Close()
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

//go:embed index.html.tmpl
var indexSource string

var indexTemplate = template.Must(template.New("index").Funcs(template.FuncMap{
	"time": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).Parse(indexSource))

// indexCase is what the index shows of the case (fields of the API's Case).
type indexCase struct {
	ID          string `json:"id"`
	Number      string `json:"number"`
	State       string `json:"state"`
	MatterCode  string `json:"matter_code"`
	Description string `json:"description"`
	Location    struct {
		Address string `json:"address"`
	} `json:"location"`
}

// indexRecord is what the index shows of an inspection record (fields of
// the API's Inspection).
type indexRecord struct {
	Version int    `json:"version"`
	Status  string `json:"status"`
	Review  string `json:"review"`
	Record  struct {
		ID       string `json:"id"`
		Findings string `json:"findings"`
	} `json:"record"`
}

// writeIndex writes the human-readable index of m: self-contained HTML,
// every value escaped by html/template.
func writeIndex(w io.Writer, m Manifest) error {
	var c indexCase
	if len(m.Case) > 0 {
		if err := json.Unmarshal(m.Case, &c); err != nil {
			return derrors.Wrap(err, derrors.Internal, "read the case for the index")
		}
	}
	records := make([]indexRecord, len(m.Inspections))
	for i, in := range m.Inspections {
		if err := json.Unmarshal(in.Record, &records[i]); err != nil {
			return derrors.Wrap(err, derrors.Internal, "read record "+in.ID+" for the index")
		}
	}
	return indexTemplate.Execute(w, struct {
		M       Manifest
		Case    indexCase
		Records []indexRecord
	}{m, c, records})
}
