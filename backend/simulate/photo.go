package simulate

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"time"
)

// withEXIF returns the JPEG img with an Exif APP1 segment, as a phone's
// camera writes it right after the start of image: make and model, the
// capture time in Beijing time with its offset, and the GPS position. The
// server reads it and compares it with what the phone declares.
func withEXIF(img []byte, at time.Time, lat, lon float64) []byte {
	if len(img) < 2 || img[0] != 0xFF || img[1] != 0xD8 {
		return img
	}
	tiff := exifTIFF(at, lat, lon)
	seg := make([]byte, 0, 10+len(tiff))
	seg = append(seg, 0xFF, 0xE1)
	seg = binary.BigEndian.AppendUint16(seg, uint16(2+6+len(tiff)))
	seg = append(seg, "Exif\x00\x00"...)
	seg = append(seg, tiff...)
	out := make([]byte, 0, len(img)+len(seg))
	out = append(out, img[:2]...)
	out = append(out, seg...)
	return append(out, img[2:]...)
}

// padded is img grown to at least size bytes by a trailer after its end of
// image, as some phones append (depth maps, motion photos): incompressible
// bytes from rng, so that uploads weigh what a 1-4 MB photo weighs. Image
// readers stop at the end of image.
func padded(img []byte, size int, rng *rand.Rand) []byte {
	if len(img) >= size {
		return img
	}
	out := make([]byte, len(img), size)
	copy(out, img)
	for len(out) < size {
		out = binary.LittleEndian.AppendUint64(out, rng.Uint64())
	}
	return out[:size]
}

// exifTag is one TIFF entry: its tag, type, count and value bytes.
type exifTag struct {
	id, typ uint16
	count   uint32
	value   []byte
}

const (
	tiffASCII    = 2
	tiffLong     = 4
	tiffRational = 5
)

func asciiTag(id uint16, s string) exifTag {
	return exifTag{id: id, typ: tiffASCII, count: uint32(len(s) + 1), value: append([]byte(s), 0)}
}

func longTag(id uint16, v uint32) exifTag {
	return exifTag{id: id, typ: tiffLong, count: 1, value: binary.BigEndian.AppendUint32(nil, v)}
}

// dmsTag is a GPS coordinate as degrees, minutes and seconds (three rationals).
func dmsTag(id uint16, deg float64) exifTag {
	deg = math.Abs(deg)
	d := math.Floor(deg)
	m := math.Floor((deg - d) * 60)
	s := math.Round(((deg-d)*60-m)*60*10000) / 10000
	var b []byte
	for _, r := range [][2]uint32{{uint32(d), 1}, {uint32(m), 1}, {uint32(s * 10000), 10000}} {
		b = binary.BigEndian.AppendUint32(b, r[0])
		b = binary.BigEndian.AppendUint32(b, r[1])
	}
	return exifTag{id: id, typ: tiffRational, count: 3, value: b}
}

// exifTIFF is the TIFF structure of the Exif segment (big-endian): IFD0
// with make, model and the pointers to the Exif and GPS IFDs.
func exifTIFF(at time.Time, lat, lon float64) []byte {
	local := at.In(beijing)
	exif := []exifTag{asciiTag(0x9003, local.Format("2006:01:02 15:04:05")), asciiTag(0x9011, local.Format("-07:00"))}
	latRef, lonRef := "N", "E"
	if lat < 0 {
		latRef = "S"
	}
	if lon < 0 {
		lonRef = "W"
	}
	gps := []exifTag{asciiTag(0x0001, latRef), dmsTag(0x0002, lat), asciiTag(0x0003, lonRef), dmsTag(0x0004, lon)}
	ifd0 := func(exifAt, gpsAt uint32) []exifTag {
		return []exifTag{asciiTag(0x010F, "Whistle"), asciiTag(0x0110, "Field-day simulator"), longTag(0x8769, exifAt), longTag(0x8825, gpsAt)}
	}
	const start = 8 // after the TIFF header
	n0 := uint32(len(ifdBytes(ifd0(0, 0), start)))
	exifAt := start + n0
	nExif := uint32(len(ifdBytes(exif, exifAt)))
	gpsAt := exifAt + nExif

	var b bytes.Buffer
	b.WriteString("MM\x00\x2A")
	b.Write(binary.BigEndian.AppendUint32(nil, start))
	b.Write(ifdBytes(ifd0(exifAt, gpsAt), start))
	b.Write(ifdBytes(exif, exifAt))
	b.Write(ifdBytes(gps, gpsAt))
	return b.Bytes()
}

// ifdBytes is an IFD placed at offset at of the TIFF structure, followed by
// the values that do not fit in their entries.
func ifdBytes(tags []exifTag, at uint32) []byte {
	dataAt := at + 2 + 12*uint32(len(tags)) + 4
	var head, data []byte
	head = binary.BigEndian.AppendUint16(head, uint16(len(tags)))
	for _, t := range tags {
		head = binary.BigEndian.AppendUint16(head, t.id)
		head = binary.BigEndian.AppendUint16(head, t.typ)
		head = binary.BigEndian.AppendUint32(head, t.count)
		if len(t.value) <= 4 {
			head = append(head, append(t.value, make([]byte, 4-len(t.value))...)...)
			continue
		}
		head = binary.BigEndian.AppendUint32(head, dataAt+uint32(len(data)))
		data = append(data, t.value...)
		if len(data)%2 == 1 {
			data = append(data, 0) // values start on a word boundary
		}
	}
	head = binary.BigEndian.AppendUint32(head, 0) // no next IFD
	return append(head, data...)
}
