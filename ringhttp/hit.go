package ringhttp

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/maphash"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// The hit path. A cached page costs a read of the URL's vary spec, a read
// of the variant, and the answer; what can be computed once per stored
// response is:
//
//   - decoding: an in-process storage (LRU, Dict) hands back the very
//     bytes it stored on every hit, so the decoded spec or entry is kept
//     beside them (decoded) and reused while the storage hands back the
//     same bytes: same address and length, which the kept copy pins, so
//     that no other bytes can ever take that address meanwhile;
//   - the header values a hit adds (Content-Length, Age, Cache-Status):
//     kept per entry, Age and Cache-Status for the second they were made
//     in (stamp).

// decodedSlots is how many decoded specs and entries a Handler keeps (one
// slot per key hash; a collision replaces).
const decodedSlots = 256

// decoded is the decoding of the bytes at b (n of them).
type decoded struct {
	b    *byte
	n    int
	keep []byte // pins b
	e    *entry
	sp   *spec
}

// decodedCache holds decodings of stored bytes; safe for concurrent use.
type decodedCache struct {
	seed  maphash.Seed
	slots [decodedSlots]atomic.Pointer[decoded]
}

func (c *decodedCache) slot(key string) *atomic.Pointer[decoded] {
	return &c.slots[maphash.String(c.seed, key)%decodedSlots]
}

// lookup returns the decoding of b kept under key, or nil.
func (c *decodedCache) lookup(key string, b []byte) *decoded {
	if len(b) == 0 {
		return nil
	}
	d := c.slot(key).Load()
	if d != nil && d.b == &b[0] && d.n == len(b) {
		return d
	}
	return nil
}

// keep keeps the decoding of b under key.
func (c *decodedCache) keep(key string, b []byte, e *entry, sp *spec) {
	if len(b) == 0 {
		return
	}
	c.slot(key).Store(&decoded{b: &b[0], n: len(b), keep: b, e: e, sp: sp})
}

// entryOf decodes the entry in b, stored under key, or reuses its
// decoding when the storage is in-process.
func (h *Handler) entryOf(key string, b []byte) (*entry, error) {
	if !h.inProcess {
		return decodeEntry(b)
	}
	if d := h.decoded.lookup(key, b); d != nil && d.e != nil {
		return d.e, nil
	}
	e, err := decodeEntry(b)
	if err == nil {
		h.decoded.keep(key, b, e, nil)
	}
	return e, err
}

// specOf is entryOf for a vary spec. The spec returned is shared: callers
// copy it before they change it.
func (h *Handler) specOf(key string, b []byte) (*spec, error) {
	if !h.inProcess {
		return decodeSpec(b)
	}
	if d := h.decoded.lookup(key, b); d != nil && d.sp != nil {
		return d.sp, nil
	}
	sp, err := decodeSpec(b)
	if err == nil {
		h.decoded.keep(key, b, nil, sp)
	}
	return sp, err
}

// stamp is the Content-Length, Age and Cache-Status of the hits on an
// entry within one second.
type stamp struct {
	age, ttl             int64
	clenV, ageV, statusV []string
}

// hitFields returns the Content-Length, Age and Cache-Status values of a
// hit on e at now, each a one-element slice shared by the hits of that
// second (capped: an append copies).
func (e *entry) hitFields(now time.Time) (clen, ageV, statusV []string) {
	a := age(e, now)
	ttl := int64(e.expires.Sub(now) / time.Second)
	s := e.stamp.Load()
	if s == nil || s.age != a || s.ttl != ttl {
		s = &stamp{age: a, ttl: ttl, clenV: []string{strconv.Itoa(len(e.body))},
			ageV: []string{strconv.FormatInt(a, 10)}, statusV: []string{hitStatus(e, now)}}
		e.stamp.Store(s)
	}
	return s.clenV[:1:1], s.ageV[:1:1], s.statusV[:1:1]
}

// writeHit answers r with the fresh entry e as a hit, as write does, with
// the fields of hitFields.
func (h *Handler) writeHit(w http.ResponseWriter, r *http.Request, e *entry, now time.Time) {
	if notModified(r, e) {
		h.write(w, r, e, hitStatus(e, now), true)
		return
	}
	clen, ageV, statusV := e.hitFields(now)
	hdr := w.Header()
	for k, vs := range e.header {
		hdr[k] = vs[:len(vs):len(vs)] // read-only here; an append copies
	}
	hdr["Age"] = ageV
	hdr["Cache-Status"] = statusV
	if e.status != http.StatusNoContent && e.status != http.StatusNotModified {
		hdr["Content-Length"] = clen
	}
	w.WriteHeader(e.status)
	if r.Method != http.MethodHead && len(e.body) > 0 {
		_, _ = w.Write(e.body)
	}
}

// hashInput appends to b what variantKey hashes: the lower-cased host and
// each varied field's name and values (joined with ", "), each followed
// by a 0 byte.
func hashInput(b []byte, host string, names []string, hdr http.Header) []byte {
	for i := 0; i < len(host); i++ {
		c := host[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	b = append(b, 0)
	for _, n := range names {
		b = append(b, n...)
		b = append(b, 0)
		for i, v := range hdr[n] {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, v...)
		}
		b = append(b, 0)
	}
	return b
}

// keyOf is variantKey from the hash input in (see hashInput).
func keyOf(uk string, gen uint64, in []byte) string {
	sum := sha256.Sum256(in)
	n := len(uk) + 2 + 16 + 1 + 1 + 32
	var k [96]byte
	kb := k[:0]
	if n > len(k) {
		kb = make([]byte, 0, n)
	}
	kb = append(kb, "e:"...)
	kb = append(kb, uk...)
	kb = append(kb, ':')
	kb = strconv.AppendUint(kb, gen, 16)
	kb = append(kb, ':')
	kb = hex.AppendEncode(kb, sum[:16])
	return string(kb)
}

// keySlots is how many variant keys a Handler keeps (keyCache).
const keySlots = 1024

// keyCache keeps the variant keys of recent requests, by what they are
// computed from (the URL key, the generation, the hash input), so that a
// hit does not hash again: a SHA-256 and the key's allocation are most of
// what a hit costs past the storage reads. A slot is replaced when empty,
// or one time in 8 otherwise, so that a set of hot variants larger than
// the cache costs its hits at most a fraction of an allocation more.
type keyCache struct {
	seed  maphash.Seed
	slots [keySlots]atomic.Pointer[keySlot]
}

type keySlot struct{ in, vk string }

// variant returns variantKey(uk, host, gen, names, hdr).
func (c *keyCache) variant(uk, host string, gen uint64, names []string, hdr http.Header) string {
	var buf [512]byte
	b := append(buf[:0], uk...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, gen)
	start := len(b)
	b = hashInput(b, host, names, hdr)
	slot := &c.slots[maphash.Bytes(c.seed, b)%keySlots]
	old := slot.Load()
	if old != nil && old.in == string(b) {
		return old.vk
	}
	vk := keyOf(uk, gen, b[start:])
	if old == nil || rand.Uint32()%8 == 0 {
		slot.Store(&keySlot{in: string(b), vk: vk})
	}
	return vk
}
