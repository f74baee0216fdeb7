package media

import (
	"encoding/binary"
	"math"
	"strings"

	"github.com/whistle/whistle/backend/evidence"
)

// The TIFF tags read.
const (
	tagMake               = 0x010F
	tagModel              = 0x0110
	tagDateTime           = 0x0132
	tagExifIFD            = 0x8769
	tagGPSIFD             = 0x8825
	tagDateTimeOriginal   = 0x9003
	tagOffsetTimeOriginal = 0x9011
	tagGPSLatitudeRef     = 0x0001
	tagGPSLatitude        = 0x0002
	tagGPSLongitudeRef    = 0x0003
	tagGPSLongitude       = 0x0004
)

// ReadEXIF returns the EXIF of a JPEG or a HEIF/HEIC image whose first
// bytes are head (a JPEG's APP1 segment comes before the image data, within
// the first 64 KiB or so; a HEIC's Exif item is usually the first item of
// its media data, right after the metadata), or nil if it has none within
// head or it cannot be read: a broken EXIF is not a reason to refuse
// evidence.
func ReadEXIF(head []byte) *evidence.EXIF {
	var tiff []byte
	switch {
	case len(head) >= 2 && head[0] == 0xFF && head[1] == 0xD8:
		tiff = jpegEXIF(head)
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		tiff = heifEXIF(head)
	}
	if tiff == nil {
		return nil
	}
	t, ok := newTIFF(tiff)
	if !ok {
		return nil
	}
	ifd0, ok := t.u32(4)
	if !ok {
		return nil
	}
	var x evidence.EXIF
	found := false
	t.walk(ifd0, func(tag uint16, e entry) {
		switch tag {
		case tagMake:
			x.Make, found = t.ascii(e), true
		case tagModel:
			x.Model, found = t.ascii(e), true
		case tagDateTime:
			if x.DateTimeOriginal == "" {
				x.DateTimeOriginal, found = t.ascii(e), true
			}
		case tagExifIFD:
			if off, ok := t.long(e); ok {
				t.walk(off, func(tag uint16, e entry) {
					switch tag {
					case tagDateTimeOriginal:
						x.DateTimeOriginal, found = t.ascii(e), true
					case tagOffsetTimeOriginal:
						x.OffsetTimeOriginal = t.ascii(e)
					}
				})
			}
		case tagGPSIFD:
			if off, ok := t.long(e); ok {
				var latRef, lonRef string
				var lat, lon []float64
				t.walk(off, func(tag uint16, e entry) {
					switch tag {
					case tagGPSLatitudeRef:
						latRef = t.ascii(e)
					case tagGPSLongitudeRef:
						lonRef = t.ascii(e)
					case tagGPSLatitude:
						lat = t.rationals(e)
					case tagGPSLongitude:
						lon = t.rationals(e)
					}
				})
				if la, ok := degrees(lat, latRef, "S", 90); ok {
					if lo, ok := degrees(lon, lonRef, "W", 180); ok {
						x.Lat, x.Lon, found = &la, &lo, true
					}
				}
			}
		}
	})
	if !found {
		return nil
	}
	return &x
}

func degrees(dms []float64, ref, negative string, limit float64) (float64, bool) {
	if len(dms) != 3 {
		return 0, false
	}
	v := dms[0] + dms[1]/60 + dms[2]/3600
	if strings.EqualFold(strings.TrimSpace(ref), negative) {
		v = -v
	}
	if math.IsNaN(v) || math.Abs(v) > limit {
		return 0, false
	}
	return v, true
}

// jpegEXIF returns the TIFF structure of the first Exif APP1 segment of a
// JPEG, or nil.
func jpegEXIF(b []byte) []byte {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return nil
		}
		marker := b[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return nil
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return nil
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			return seg[6:]
		}
		i += 2 + n
	}
	return nil
}

// tiff reads a TIFF structure with bounds checks everywhere: EXIF comes from
// the phone and may be anything.
type tiff struct {
	b     []byte
	order binary.ByteOrder
}

type entry struct {
	typ   uint16
	count uint32
	value uint32 // the value itself if it fits in 4 bytes, else its offset
	raw   []byte // the 4 value bytes
}

func newTIFF(b []byte) (tiff, bool) {
	if len(b) < 8 {
		return tiff{}, false
	}
	var t tiff
	switch string(b[:2]) {
	case "II":
		t.order = binary.LittleEndian
	case "MM":
		t.order = binary.BigEndian
	default:
		return tiff{}, false
	}
	t.b = b
	return t, t.order.Uint16(b[2:]) == 42
}

func (t tiff) u32(off int) (uint32, bool) {
	if off < 0 || off+4 > len(t.b) {
		return 0, false
	}
	return t.order.Uint32(t.b[off:]), true
}

// walk calls fn for each entry of the IFD at off.
func (t tiff) walk(off uint32, fn func(tag uint16, e entry)) {
	o := int(off)
	if o < 0 || o+2 > len(t.b) {
		return
	}
	n := int(t.order.Uint16(t.b[o:]))
	for i := range min(n, 512) {
		p := o + 2 + 12*i
		if p+12 > len(t.b) {
			return
		}
		fn(t.order.Uint16(t.b[p:]), entry{
			typ:   t.order.Uint16(t.b[p+2:]),
			count: t.order.Uint32(t.b[p+4:]),
			value: t.order.Uint32(t.b[p+8:]),
			raw:   t.b[p+8 : p+12],
		})
	}
}

// data returns the bytes of an entry's value of size bytes per item.
func (t tiff) data(e entry, size int) []byte {
	if e.count > 1<<16 {
		return nil
	}
	n := int(e.count) * size
	if n <= 4 {
		return e.raw[:n]
	}
	o := int(e.value)
	if o < 0 || o+n > len(t.b) {
		return nil
	}
	return t.b[o : o+n]
}

func (t tiff) ascii(e entry) string {
	if e.typ != 2 {
		return ""
	}
	s := string(t.data(e, 1))
	s, _, _ = strings.Cut(s, "\x00")
	return strings.TrimSpace(strings.ToValidUTF8(s, ""))
}

func (t tiff) long(e entry) (uint32, bool) {
	if e.count != 1 || (e.typ != 4 && e.typ != 13) {
		return 0, false
	}
	return e.value, true
}

func (t tiff) rationals(e entry) []float64 {
	if e.typ != 5 {
		return nil
	}
	d := t.data(e, 8)
	if d == nil {
		return nil
	}
	out := make([]float64, 0, e.count)
	for i := 0; i+8 <= len(d); i += 8 {
		num, den := t.order.Uint32(d[i:]), t.order.Uint32(d[i+4:])
		if den == 0 {
			return nil
		}
		out = append(out, float64(num)/float64(den))
	}
	return out
}
