package media

import "encoding/binary"

// heifEXIF returns the TIFF structure of the Exif item of a HEIF/HEIC file
// (ISO/IEC 23008-12, the format of iPhone photos) whose first bytes are b,
// or nil. The item is found the way a HEIF reader finds it: its id in the
// item information box (iinf), its bytes by the item location box (iloc).
// Only items stored at a file offset within b are read; bounds are checked
// everywhere, since the bytes come from the phone.
func heifEXIF(b []byte) []byte {
	meta := box(b, "meta")
	if len(meta) < 4 {
		return nil
	}
	children := meta[4:] // meta is a full box: version and flags first
	id, ok := exifItemID(box(children, "iinf"))
	if !ok {
		return nil
	}
	data := itemData(b, box(children, "iloc"), id)
	// The Exif item starts with the offset of the TIFF header from the end
	// of that field (usually past "Exif\0\0").
	if len(data) < 4 {
		return nil
	}
	off := uint64(binary.BigEndian.Uint32(data))
	if off > uint64(len(data)-4) {
		return nil
	}
	return data[4+off:]
}

// box returns the payload of the first box of type typ among the boxes in
// b, or nil.
func box(b []byte, typ string) []byte {
	for {
		t, payload, rest, ok := nextBox(b)
		if !ok {
			return nil
		}
		if t == typ {
			return payload
		}
		b = rest
	}
}

// nextBox splits the first box off b: its type, its payload (cut short if
// b ends first) and the boxes after it.
func nextBox(b []byte) (typ string, payload, rest []byte, ok bool) {
	if len(b) < 8 {
		return "", nil, nil, false
	}
	size, header := uint64(binary.BigEndian.Uint32(b)), uint64(8)
	switch size {
	case 0: // to the end
		size = uint64(len(b))
	case 1: // a 64-bit size follows
		if len(b) < 16 {
			return "", nil, nil, false
		}
		size, header = binary.BigEndian.Uint64(b[8:]), 16
	}
	if size < header {
		return "", nil, nil, false
	}
	typ = string(b[4:8])
	if size > uint64(len(b)) {
		return typ, b[header:], nil, true
	}
	return typ, b[header:size], b[size:], true
}

// exifItemID returns the id of the item of type "Exif" listed in the
// payload of an iinf box.
func exifItemID(iinf []byte) (uint32, bool) {
	r := reader{b: iinf}
	version := r.u8()
	r.skip(3) // flags
	if version == 0 {
		r.u16()
	} else {
		r.u32()
	}
	if r.bad {
		return 0, false
	}
	for entries := r.rest(); ; {
		typ, infe, rest, ok := nextBox(entries)
		if !ok {
			return 0, false
		}
		entries = rest
		if typ != "infe" {
			continue
		}
		e := reader{b: infe}
		v := e.u8()
		e.skip(3)
		if v < 2 {
			continue // versions 0 and 1 carry no item type
		}
		var id uint32
		if v == 2 {
			id = uint32(e.u16())
		} else {
			id = e.u32()
		}
		e.u16() // protection index
		if t := e.bytes(4); !e.bad && string(t) == "Exif" {
			return id, true
		}
	}
}

// itemData returns the bytes of item id as located by the payload of an
// iloc box, if they are stored at a file offset within file (the first
// bytes of the upload).
func itemData(file, iloc []byte, id uint32) []byte {
	r := reader{b: iloc}
	version := r.u8()
	r.skip(3)
	sizes := r.u8()
	offsetSize, lengthSize := int(sizes>>4), int(sizes&0x0f)
	sizes = r.u8()
	baseSize, indexSize := int(sizes>>4), int(sizes&0x0f)
	if version != 1 && version != 2 {
		indexSize = 0
	}
	var count uint32
	if version < 2 {
		count = uint32(r.u16())
	} else {
		count = r.u32()
	}
	for i := uint32(0); i < count && !r.bad; i++ {
		var itemID uint32
		if version < 2 {
			itemID = uint32(r.u16())
		} else {
			itemID = r.u32()
		}
		method := uint16(0)
		if version == 1 || version == 2 {
			method = r.u16() & 0x0f
		}
		r.u16() // data reference index
		base := r.uint(baseSize)
		extents := r.u16()
		var data []byte
		for range extents {
			r.uint(indexSize)
			off, n := r.uint(offsetSize), r.uint(lengthSize)
			if itemID != id || method != 0 || r.bad {
				continue
			}
			start := base + off
			if start < base || start > uint64(len(file)) {
				return nil
			}
			// n == 0 means to the end of the file; an extent that runs
			// past the head read is cut there (the TIFF reader checks
			// every offset against what it has).
			end := uint64(len(file))
			if n != 0 && start+n >= start && start+n < end {
				end = start + n
			}
			data = append(data, file[start:end]...)
			if len(data) > len(file) {
				return nil // extents repeating the same bytes
			}
		}
		if itemID == id {
			return data
		}
	}
	return nil
}

// reader reads big-endian fields with bounds checks; once a read runs past
// the end, bad is set and every later read answers zero.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) bytes(n int) []byte {
	if r.bad || n < 0 || n > len(r.b) {
		r.bad = true
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) skip(n int)   { r.bytes(n) }
func (r *reader) rest() []byte { return r.b }
func (r *reader) u8() uint8    { return uint8(r.uint(1)) }
func (r *reader) u16() uint16  { return uint16(r.uint(2)) }
func (r *reader) u32() uint32  { return uint32(r.uint(4)) }

// uint reads an unsigned integer of n bytes (0, 1, 2, 4 or 8; 0 reads 0).
func (r *reader) uint(n int) uint64 {
	if n != 0 && n != 1 && n != 2 && n != 4 && n != 8 {
		r.bad = true
		return 0
	}
	var v uint64
	for _, c := range r.bytes(n) {
		v = v<<8 | uint64(c)
	}
	return v
}
