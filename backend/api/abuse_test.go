package api_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/whistle/whistle/backend/api/apitest"
)

// pngChunk is one PNG chunk with its CRC.
func pngChunk(kind string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, kind...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(kind), data...)))
}

// grayPNG is a valid 8-bit gray PNG of w×h black pixels, written row by
// row: its IDAT is a zlib stream of zeros, about a thousandth of the
// pixels it decodes to (a decompression bomb when w×h is large).
func grayPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var idat bytes.Buffer
	z, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	row := make([]byte, 1+w) // filter type 0, then the pixels
	for range h {
		if _, err := z.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.Join([][]byte{pngHeader(w, h), pngChunk("IDAT", idat.Bytes()), pngChunk("IEND", nil)}, nil)
}

// pngHeader is the signature and header of an 8-bit gray PNG of w×h.
func pngHeader(w, h int) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // 8-bit gray, deflate, no filter, no interlace
	return append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
}

// jpegClaiming is a JPEG whose frame header claims w×h pixels (the rest of
// a small real JPEG follows it).
func jpegClaiming(t *testing.T, w, h int) []byte {
	t.Helper()
	b := testJPEG(t, 16, 16, 9, nil)
	i := bytes.Index(b, []byte{0xFF, 0xC0}) // baseline SOF0: length, precision, height, width
	if i < 0 {
		t.Fatal("no SOF0 in the test JPEG")
	}
	binary.BigEndian.PutUint16(b[i+5:], uint16(h))
	binary.BigEndian.PutUint16(b[i+7:], uint16(w))
	return b
}

// TestAbuse_HostileInputs sends what a hostile or broken client would:
// image bombs, disguised files, oversize and malformed sync batches, huge
// and forged paging; each must be refused with a problem (the client
// validates every answer against the contract) and none may get through,
// nor grow the heap. The tally is logged as "abuse: N tried, M got through".
func TestAbuse_HostileInputs(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", "whistle-demo")
	p := newPhone(t, f, "officer.a")
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	type attempt struct {
		name   string
		status int
		code   string
		send   func(c *apitest.Client) *apitest.Response
	}
	image := func(data []byte, contentType string) func(c *apitest.Client) *apitest.Response {
		return func(c *apitest.Client) *apitest.Response {
			it := newItem(data, contentType, "photo")
			return create(c, officer, it, it.data)
		}
	}
	push := func(body []byte, contentType string) func(c *apitest.Client) *apitest.Response {
		return func(c *apitest.Client) *apitest.Response {
			req, _ := http.NewRequest(http.MethodPost, "/v1/sync/push", bytes.NewReader(body))
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("Authorization", "Bearer "+p.token)
			return c.Do(req)
		}
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(bytes.Repeat([]byte(`{"mutations":[`), 1<<16))
	_ = zw.Close()
	// Under the body limit (64 KiB in tests), over the batch's 500 mutations.
	many := `{"mutations":[` + strings.TrimSuffix(strings.Repeat(`{},`, 600), ",") + `]}`
	deep := `{"mutations":[{"seq":1,"entity_id":"0b5c1a52-0000-4000-8000-00000000000a","name":"inspection.record@1","clock":{"wall":"x"},"signature":"AA==","args":` +
		strings.Repeat(`[`, 30_000) + strings.Repeat(`]`, 30_000) + `}]}`
	pdf := []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

	attempts := []attempt{
		{"PNGClaiming50000x50000", http.StatusUnsupportedMediaType, "unsupported_media_type", image(append(pngHeader(50_000, 50_000), pngChunk("IEND", nil)...), "image/png")},
		{"JPEGClaiming50000x50000", http.StatusUnsupportedMediaType, "unsupported_media_type", image(jpegClaiming(t, 50_000, 50_000), "image/jpeg")},
		{"PDFAsJPEG", http.StatusUnsupportedMediaType, "unsupported_media_type", image(pdf, "image/jpeg")},
		{"PNGAsJPEG", http.StatusUnsupportedMediaType, "unsupported_media_type", image(testPNG(t), "image/jpeg")},
		{"UploadOverMaxSize", http.StatusRequestEntityTooLarge, "payload_too_large", func(c *apitest.Client) *apitest.Response {
			it := newItem(testPNG(t), "image/png", "photo")
			req := tusReq(http.MethodPost, "/v1/evidence/uploads", officer, nil)
			req.Header.Set("Upload-Length", strconv.FormatInt(1<<50, 10))
			req.Header.Set("Upload-Metadata", it.metadata())
			return c.Do(req)
		}},
		{"PushOverBodyLimit", http.StatusRequestEntityTooLarge, "payload_too_large", push(bytes.Repeat([]byte(" "), 1<<20), "application/json")},
		{"PushGzipBomb", http.StatusBadRequest, "bad_request", push(gz.Bytes(), "application/json")},
		{"PushTruncated", http.StatusBadRequest, "bad_request", push([]byte(`{"mutations":[{"seq":1,`), "application/json")},
		{"PushNotJSON", http.StatusUnsupportedMediaType, "unsupported_media_type", push([]byte(`mutations=1`), "application/x-www-form-urlencoded")},
		{"PushOverMaxMutations", http.StatusBadRequest, "bad_request", push([]byte(many), "application/json")},
		{"PushDeeplyNested", http.StatusBadRequest, "bad_request", push([]byte(deep), "application/json")},
		{"PageHuge", http.StatusBadRequest, "bad_request", func(c *apitest.Client) *apitest.Response {
			return c.Get("/v1/inspections?limit=1000000000", officer)
		}},
		{"PageNegative", http.StatusBadRequest, "bad_request", func(c *apitest.Client) *apitest.Response {
			return c.Get("/v1/inspections?limit=-1", officer)
		}},
		{"CursorForged", http.StatusBadRequest, "bad_request", func(c *apitest.Client) *apitest.Response {
			return c.Get("/v1/inspections?cursor=eyJsIjoiY2FzZXMifQ", officer) // {"l":"cases"}: another list's
		}},
	}
	through := 0
	for _, a := range attempts {
		t.Run(a.name, func(t *testing.T) {
			res := a.send(f.client.For(t))
			if res.Status != a.status || !bytes.Contains(res.Body, []byte(`"code":"`+a.code+`"`)) {
				through++
				t.Errorf("got %d %.300s, want %d %s", res.Status, res.Body, a.status, a.code)
			}
		})
	}

	// A decompression bomb within the pixel limit is an image a camera could
	// make (90 megapixels, ~90 KB): kept as evidence, never decoded (its
	// thumbnail is unavailable: over the thumbnail limit).
	t.Run("PNGDecompressionBomb", func(t *testing.T) {
		it := newItem(grayPNG(t, 10_000, 9_000), "image/png", "photo")
		id := upload(t, f.client.For(t), officer, it)
		f.workJobs(t)
		if e := getEvidence(t, f.client.For(t), officer, id); e.Status != "verified" || !strings.HasPrefix(e.Thumbnail, "unavailable") {
			through++
			t.Errorf("bomb = status %s thumbnail %v, want verified and unavailable", e.Status, e.Thumbnail)
		}
	})

	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("abuse: %d tried, %d got through; heap %d MiB before, %+d MiB after", len(attempts)+1, through, before.HeapAlloc>>20, grown>>20)
	if grown > 64<<20 {
		t.Errorf("the heap grew by %d MiB over the hostile inputs", grown>>20)
	}
}
