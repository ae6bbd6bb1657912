package ring

import (
	"context"
	"strconv"
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
	if st.near != nil {
		// The near tier is keyed by what follows the Cache's prefix,
		// which is what appendTuple builds.
		return st.near.pre == st.prefix
	}
	return st.ahead == nil && st.mem != nil
}

// appendTuple appends the key's part after "prefix:" (the Cache's local
// key of k): the components joined by ':', the KeyFunc's string, or with
// HashKeys their digest. The near tier's hit looks it up (hitkey.go).
func (c *core[K, R]) appendTuple(b []byte, k K) ([]byte, error) {
	start := len(b)
	var err error
	if c.keyFunc != nil {
		b = append(b, c.keyFunc(c.toAny(k)...)...)
	} else {
		for i, comp := range c.comps {
			if i > 0 {
				b = append(b, ':')
			}
			if b, err = comp(b, k); err != nil {
				break
			}
		}
	}
	if c.hashed != nil && err == nil {
		b = c.hashed.tail(b, start)
	}
	return b, err
}

// callBytes is call on a ring that hits by bytes (byBytes): the near
// tier's hit or the typed Concurrent hit, with the key in a pooled
// buffer; on a miss it goes on as call does, with the key's string.
func (c *core[K, R]) callBytes(ctx context.Context, k K) (R, error) {
	st := c.store
	if st.near != nil {
		return c.callNearBytes(ctx, st, k)
	}
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

// callNearBytes is callBytes on a ring with a near tier (Near: near.go),
// after its typed front missed (call; near_front.go), or without one: the
// tier is keyed by what follows the Cache's prefix, so the hit builds
// only that (appendTuple: the arguments), hashes and compares only that.
func (c *core[K, R]) callNearBytes(ctx context.Context, st *Cache[R], k K) (R, error) {
	if i, ok := c.intArg(&k); ok {
		// The digits on the stack: no pooled buffer, no component call.
		var a [24]byte
		b := strconv.AppendInt(a[:0], int64(i), 10)
		if n := st.near.getNode(unsafe.String(unsafe.SliceData(b), len(b))); n != nil {
			return c.nearHit(ctx, st, &k, n), nil
		}
		return c.callNear(ctx, st, st.prefix+string(b), k)
	}
	kb := keyBufs.Get().(*keyBuf)
	var b []byte
	var err error
	if c.keyFunc == nil && c.hashed == nil && len(c.comps) == 1 {
		b, err = c.comps[0](kb.b, k) // appendTuple of one component, by hand: it halves its cost
	} else {
		b, err = c.appendTuple(kb.b, k)
	}
	if err != nil {
		kb.put(b)
		var zero R
		return zero, named(c.name, "key", err)
	}
	// b as a string without a copy, as in callBytes.
	if n := st.near.getNode(unsafe.String(unsafe.SliceData(b), len(b))); n != nil {
		kb.put(b)
		return c.nearHit(ctx, st, &k, n), nil
	}
	key := st.prefix + string(b)
	kb.put(b)
	return c.callNear(ctx, st, key, k)
}

// nearHit returns the value of n, the near tier's live copy of k's key,
// after the typed front missed: the front keeps n for k.
func (c *core[K, R]) nearHit(ctx context.Context, st *Cache[R], k *K, n *nearNode[R]) R {
	if c.front != nil {
		c.front.put(k, n)
	}
	if st.obs != nil {
		st.obs.nearHit(ctx)
	}
	return n.v
}

// intArg returns the argument of a function of one int (Func1, Batch),
// whose key's local part is that int's decimal digits: its one component
// is ringkey's int encoder (PythonKeys' writes the same digits), with no
// KeyFunc or HashKeys to change them. ok is false on any other ring.
func (c *core[K, R]) intArg(k *K) (i int, ok bool) {
	if p, is := any(k).(*Args2[struct{}, int]); is && c.keyFunc == nil && c.hashed == nil && len(c.comps) == 1 {
		return p.P2, true
	}
	return 0, false
}
