package ringhttp

import (
	"encoding/binary"
	"errors"
	"net/http"
	"sync/atomic"
	"time"
)

// An entry is one stored response: what a raw client would see (status,
// header, body), when it was stored, until when it is fresh, and whether a
// request with Authorization may be served from it.
//
// Encoding (version 1), every integer a varint or uvarint:
//
//	"RH" 0x01
//	uvarint status
//	varint  stored at (Unix nanoseconds)
//	varint  fresh until (Unix nanoseconds)
//	byte    flags (bit 0: a request with Authorization may be served)
//	uvarint header count, then per field: string name, uvarint n, n strings
//	uvarint body length, body
//
// where a string is a uvarint length and its bytes. The format is fixed by
// TestEntryGolden.
type entry struct {
	status  int
	stored  time.Time
	expires time.Time
	authOK  bool
	header  http.Header
	body    []byte
	// stamp holds the fields of the hits of one second (hit.go).
	stamp atomic.Pointer[stamp]
}

const (
	entryMagic = "RH\x01"
	specMagic  = "RS\x01"
)

// errCorrupt is what a stored entry or spec that does not decode is; the
// callers report it with the key.
var errCorrupt = errors.New("does not decode")

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func (e *entry) encode() []byte {
	n := len(entryMagic) + 40 + len(e.body)
	for k, vs := range e.header {
		n += len(k) + 4
		for _, v := range vs {
			n += len(v) + 2
		}
	}
	b := make([]byte, 0, n)
	b = append(b, entryMagic...)
	b = binary.AppendUvarint(b, uint64(e.status))
	b = binary.AppendVarint(b, e.stored.UnixNano())
	b = binary.AppendVarint(b, e.expires.UnixNano())
	var flags byte
	if e.authOK {
		flags |= 1
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(len(e.header)))
	for _, k := range sortedKeys(e.header) {
		vs := e.header[k]
		b = appendString(b, k)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = appendString(b, v)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(e.body)))
	return append(b, e.body...)
}

// reader reads the fields of an encoded entry or spec; the first error
// sticks.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// decodeEntry decodes an entry with few allocations: the header's names
// and values are substrings of one string, its value lists share one
// backing array (each capped, so that appending to one copies it), and the
// body is a sub-slice of b (never written to).
func decodeEntry(b []byte) (*entry, error) {
	if len(b) < len(entryMagic) || string(b[:len(entryMagic)]) != entryMagic {
		return nil, errCorrupt
	}
	r := &reader{b: b[len(entryMagic):]}
	e := &entry{}
	e.status = int(r.uvarint())
	e.stored = time.Unix(0, r.varint())
	e.expires = time.Unix(0, r.varint())
	e.authOK = r.byte()&1 != 0
	nh := r.uvarint()
	if r.bad || nh > uint64(len(r.b)) {
		return nil, errCorrupt
	}
	// First pass: the extent of the header and its number of values.
	section := r.b
	total := uint64(0)
	for i := uint64(0); i < nh && !r.bad; i++ {
		r.bytes()
		nv := r.uvarint()
		if nv > uint64(len(r.b)) {
			return nil, errCorrupt
		}
		total += nv
		for j := uint64(0); j < nv && !r.bad; j++ {
			r.bytes()
		}
	}
	if r.bad {
		return nil, errCorrupt
	}
	hs := string(section[:len(section)-len(r.b)])
	e.body = r.bytes()
	if r.bad || len(r.b) != 0 || e.status < 100 || e.status > 999 {
		return nil, errCorrupt
	}
	// Second pass, over the string: no allocation per name or value.
	sr := stringReader{s: hs}
	values := make([]string, total)
	e.header = make(http.Header, nh)
	k := 0
	for range nh {
		name := sr.str()
		nv := int(sr.uvarint())
		for j := range nv {
			values[k+j] = sr.str()
		}
		e.header[name] = values[k : k+nv : k+nv]
		k += nv
	}
	return e, nil
}

// stringReader reads the strings of a header section that decodeEntry
// already checked.
type stringReader struct{ s string }

func (r *stringReader) uvarint() uint64 {
	var v uint64
	for shift := 0; ; shift += 7 {
		c := r.s[0]
		r.s = r.s[1:]
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
}

func (r *stringReader) str() string {
	n := r.uvarint()
	v := r.s[:n]
	r.s = r.s[n:]
	return v
}

// A spec is the per-URL entry: the request headers the URL's responses vary
// on (learned from their Vary field) and the generation that every variant
// key of the URL includes. DeletePath deletes the spec, which orphans every
// variant in one write; the next request starts a new generation.
//
// Encoding (version 1): "RS" 0x01, 8 bytes generation (big endian), varint
// fresh until (Unix nanoseconds), byte learned (1 once a response was
// seen), uvarint count, then the header names as strings.
type spec struct {
	gen     uint64
	expires time.Time
	learned bool
	vary    []string // canonical, sorted, unique
}

func (s *spec) encode() []byte {
	b := make([]byte, 0, 32)
	b = append(b, specMagic...)
	b = binary.BigEndian.AppendUint64(b, s.gen)
	b = binary.AppendVarint(b, s.expires.UnixNano())
	if s.learned {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(s.vary)))
	for _, v := range s.vary {
		b = appendString(b, v)
	}
	return b
}

func decodeSpec(b []byte) (*spec, error) {
	if len(b) < len(specMagic)+8 || string(b[:len(specMagic)]) != specMagic {
		return nil, errCorrupt
	}
	s := &spec{gen: binary.BigEndian.Uint64(b[len(specMagic):])}
	r := &reader{b: b[len(specMagic)+8:]}
	s.expires = time.Unix(0, r.varint())
	s.learned = r.byte() == 1
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		return nil, errCorrupt
	}
	for i := uint64(0); i < n && !r.bad; i++ {
		s.vary = append(s.vary, string(r.bytes()))
	}
	if r.bad || len(r.b) != 0 {
		return nil, errCorrupt
	}
	return s, nil
}
