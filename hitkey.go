package ring

import (
	"context"
	"sync"
	"unsafe"
)

// The in-process hit by bytes: on a ring whose Call reads an in-process
// tier first (the near tier, or the typed Concurrent store), the key is
// built into a reused buffer and looked up as it is; the key string is
// made only on a miss. A hit thus allocates nothing. The buffer's bytes
// are what key returns (appendKey builds both); the rings where key
// rewrites them (a KeyRefactorer backend), picks the storage per call
// (Choose) or hands the key to a custom strategy take the string path.

// keyBuf is a pooled key buffer (a pointer, so that Put does not box a
// slice).
type keyBuf struct{ b []byte }

var keyBufs = sync.Pool{New: func() any { return &keyBuf{b: make([]byte, 0, 64)} }}

// maxPooledKey bounds the buffers kept in the pool: a long key's buffer
// is left to the collector.
const maxPooledKey = 4 * maxKeyHint

func (kb *keyBuf) put(b []byte) {
	if cap(b) <= maxPooledKey {
		kb.b = b[:0]
		keyBufs.Put(kb)
	}
}

// hitsByBytes reports whether Call may look its key up by bytes: it reads
// an in-process tier before anything else, and the key it reads there is
// the one appendKey builds.
func (c *core[K, R]) hitsByBytes() bool {
	st := c.store
	if c.choose != nil || c.strategy != nil || st.refactor {
		return false
	}
	return st.near != nil || st.ahead == nil && st.mem != nil
}

// callBytes is call on a ring that hits by bytes (byBytes): the near
// tier's hit or the typed Concurrent hit, with the key in a pooled
// buffer; on a miss it goes on as call does, with the key's string.
func (c *core[K, R]) callBytes(ctx context.Context, k K) (R, error) {
	kb := keyBufs.Get().(*keyBuf)
	b, err := c.appendKey(kb.b, k)
	if err != nil {
		kb.put(b)
		var zero R
		return zero, named(c.name, "key", err)
	}
	// view is b as a string, without a copy: the tiers' reads compare and
	// hash it and keep nothing of it, and b is not written while they run.
	view := unsafe.String(unsafe.SliceData(b), len(b))
	st := c.store
	if st.near != nil { // Near: near.go
		if r, ok := st.near.get(view); ok {
			kb.put(b)
			if st.obs != nil {
				st.obs.nearHit(ctx)
			}
			return r, nil
		}
		key := string(b)
		kb.put(b)
		return c.callNear(ctx, st, key, k)
	}
	r, ok := st.mem.Load(view) // Concurrent: memstore.go
	if ok {
		kb.put(b)
		if st.obs != nil {
			st.obs.got(ctx, true, nil, false)
		}
		return r, nil
	}
	key := string(b)
	kb.put(b)
	if st.obs != nil {
		st.obs.got(ctx, false, nil, false)
	}
	return c.fill(ctx, st, key, k, true, nil)
}
