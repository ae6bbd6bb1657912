package memcachestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/internal/servertest"
)

// TestMemcacheGetWithTTLRawClient reads items written by the raw client,
// as Python Ring or any memcached client writes them: the bytes come back
// as they are, with the expiry the writer gave, over every server, with
// misses, repeated keys, empty and large values, more keys than one
// request carries, and a key the backend rewrites.
func TestMemcacheGetWithTTLRawClient(t *testing.T) {
	addrs := servertest.MemcacheAddrs(t)
	m, c := memcacheWithSelector(t, addrs...)
	ctx := t.Context()
	base := fmt.Sprintf("ring-test:meta:%d:", time.Now().UnixNano())
	var keys []string
	want := map[string][]byte{}
	exp := map[string]int32{}
	for i := range 250 {
		k := base + fmt.Sprint(i)
		if i == 7 {
			k = base + "a key with spaces" // rewritten to ring-sha1:...
		}
		keys = append(keys, k)
		if i%4 == 0 {
			continue // a miss
		}
		v := []byte(fmt.Sprintf("raw-%d", i))
		switch i % 5 {
		case 1:
			v = []byte{}
		case 2:
			v = bytes.Repeat([]byte{byte(i)}, 40<<10)
		}
		e := int32(0)
		if i%3 != 0 {
			e = int32(100 + i)
		}
		if err := c.Set(&memcache.Item{Key: m.RefactorKey(k), Value: v, Expiration: e}); err != nil {
			t.Fatal(err)
		}
		want[k], exp[k] = v, e
	}
	keys = append(keys, keys[3], keys[5]) // repeated
	check := func(what, k string, v any, ttl time.Duration, found bool) {
		t.Helper()
		w, ok := want[k]
		if found != ok {
			t.Fatalf("%s %q: found %v, want %v", what, k, found, ok)
		}
		if !ok {
			if v != nil || ttl != 0 {
				t.Fatalf("%s %q: a miss returned %v, %v", what, k, v, ttl)
			}
			return
		}
		if !bytes.Equal(v.([]byte), w) || v.([]byte) == nil {
			t.Fatalf("%s %q: %d bytes, want %d", what, k, len(v.([]byte)), len(w))
		}
		e := time.Duration(exp[k]) * time.Second
		if e == 0 && ttl != 0 || e > 0 && (ttl > e || ttl < e-2*time.Second) {
			t.Fatalf("%s %q: ttl %v, want about %v (0: no expiry)", what, k, ttl, e)
		}
	}
	values, ttls, found, err := m.GetManyWithTTL(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		check("GetManyWithTTL", k, values[i], ttls[i], found[i])
		v, ttl, ok, err := m.GetWithTTL(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		check("GetWithTTL", k, v, ttl, ok)
	}
	// Each hit is a slice of its own, repeated keys included.
	values[3].([]byte)[0] = 'X'
	if values[len(values)-2].([]byte)[0] == 'X' {
		t.Error("two reads of one key share their bytes")
	}
	// Touch to no expiry reads 0 from then on.
	if _, ttl, _, _ := m.GetWithTTL(ctx, keys[5]); ttl <= 100*time.Second {
		t.Fatalf("before touch 0: ttl %v, want about 105s", ttl)
	}
	if err := c.Touch(m.RefactorKey(keys[5]), 0); err != nil {
		t.Fatal(err)
	}
	if _, ttl, _, _ := m.GetWithTTL(ctx, keys[5]); ttl != 0 {
		t.Errorf("after touch 0: ttl %v, want 0", ttl)
	}
}

// TestMemcacheGetWithTTLExpires: an item read a little before its expiry
// has at most a second or two left, and once expired it is a miss with ttl
// 0 in both forms.
func TestMemcacheGetWithTTLExpires(t *testing.T) {
	m, _ := memcacheWithSelector(t, servertest.MemcacheAddrs(t)...)
	ctx := t.Context()
	k := fmt.Sprintf("ring-test:meta-exp:%d", time.Now().UnixNano())
	if err := m.Set(ctx, k, []byte("v"), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	_, ttl, found, err := m.GetWithTTL(ctx, k)
	if err != nil || !found || ttl <= 0 || ttl > 2*time.Second {
		t.Fatalf("right after Set with 2s: ttl %v, found %v, err %v", ttl, found, err)
	}
	time.Sleep(3100 * time.Millisecond)
	if v, ttl, found, err := m.GetWithTTL(ctx, k); err != nil || found || ttl != 0 || v != nil {
		t.Fatalf("after the expiry: %v, %v, %v, %v", v, ttl, found, err)
	}
	if _, ttls, found, err := m.GetManyWithTTL(ctx, []string{k}); err != nil || found[0] || ttls[0] != 0 {
		t.Fatalf("GetManyWithTTL after the expiry: %v, %v, %v", ttls, found, err)
	}
}

// TestMemcacheGetWithTTLWithoutSelector: without the selector there are no
// meta commands, and a hit says so with TTLUnknown instead of a guess.
func TestMemcacheGetWithTTLWithoutSelector(t *testing.T) {
	addrs := servertest.MemcacheAddrs(t)
	st := backends.Storage(memcachestore.New(memcacheClient(t, addrs...)))
	ctx := t.Context()
	k := fmt.Sprintf("ring-test:meta-plain:%d", time.Now().UnixNano())
	if err := st.Set(ctx, k, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	v, ttl, found, err := backends.GetWithTTL(ctx, st, k)
	if err != nil || !found || string(v.([]byte)) != "v" || ttl != backends.TTLUnknown {
		t.Errorf("GetWithTTL = %v, %v, %v, %v; want v, TTLUnknown", v, ttl, found, err)
	}
	_, ttls, fs, err := backends.GetManyWithTTL(ctx, st, []string{k, k + "x"})
	if err != nil || !fs[0] || fs[1] || ttls[0] != backends.TTLUnknown || ttls[1] != 0 {
		t.Errorf("GetManyWithTTL = %v, %v, %v", ttls, fs, err)
	}
}

// TestMemcacheGetWithTTLCancel: the meta reads check their ctx first, and
// a cancelled ctx is an error that says so.
func TestMemcacheGetWithTTLCancel(t *testing.T) {
	m, _ := memcacheWithSelector(t, servertest.MemcacheAddrs(t)...)
	c, stop := context.WithCancel(t.Context())
	stop()
	if _, _, _, err := m.GetWithTTL(c, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("GetWithTTL on a cancelled context: %v", err)
	}
	if _, _, _, err := m.GetManyWithTTL(c, []string{"k"}); !errors.Is(err, context.Canceled) {
		t.Errorf("GetManyWithTTL on a cancelled context: %v", err)
	}
}

// BenchmarkMemcacheGetWithTTL compares GetWithTTL ("mg <key> v t" on the
// backend's connections) with Get (gomemcache's get), and the bulk forms
// with each other, on a backend with the selector. The interleaved forms
// time both one after another in every iteration and report the ratio of
// their totals, so that the drift of the round trip cancels.
func BenchmarkMemcacheGetWithTTL(b *testing.B) {
	m, _ := memcacheWithSelector(b, servertest.MemcacheAddrs(b)...)
	ctx := context.Background()
	base := fmt.Sprintf("ring-test:meta-bench:%d:", time.Now().UnixNano())
	k := base + "k"
	v := bytes.Repeat([]byte("v"), 100)
	if err := m.Set(ctx, k, v, time.Hour); err != nil {
		b.Fatal(err)
	}
	keys := make([]string, 100)
	vals := make([]any, 100)
	for i := range keys {
		keys[i], vals[i] = fmt.Sprint(base, i), v
	}
	if err := m.SetMany(ctx, keys, vals, time.Hour); err != nil {
		b.Fatal(err)
	}
	get := func() {
		if _, found, err := m.Get(ctx, k); err != nil || !found {
			b.Fatal(found, err)
		}
	}
	withTTL := func() {
		if _, ttl, found, err := m.GetWithTTL(ctx, k); err != nil || !found || ttl <= 0 {
			b.Fatal(ttl, found, err)
		}
	}
	getMany := func() {
		if _, err := m.GetManyBytes(ctx, keys); err != nil {
			b.Fatal(err)
		}
	}
	manyWithTTL := func() {
		if _, _, _, err := m.GetManyWithTTL(ctx, keys); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name string
		fn   func()
	}{{"get", get}, {"get-with-ttl", withTTL}, {"getmany-100", getMany}, {"getmanywithttl-100", manyWithTTL}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.fn()
			}
		})
	}
	interleave := func(name, unit string, x, y func()) {
		b.Run(name, func(b *testing.B) {
			var tx, ty time.Duration
			for b.Loop() {
				t0 := time.Now()
				x()
				t1 := time.Now()
				y()
				ty += time.Since(t1)
				tx += t1.Sub(t0)
			}
			b.ReportMetric(float64(ty)/float64(tx), unit)
		})
	}
	interleave("interleaved", "with-ttl/get", get, withTTL)
	interleave("interleaved-100", "with-ttl/getmany", getMany, manyWithTTL)
}
