package backendtest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ring/backends"
)

// bulkTTL checks SetManyTTL, the bulk write with a ttl per entry, apart
// from expiry itself (the expiry case "BulkTTLEach" waits with the
// others): the values land, the last entry of a repeated key wins, wrong
// lengths and a negative ttl are errors that write nothing, and a backend
// without expiry refuses a positive ttl.
func (s *suite) bulkTTL(t *testing.T) {
	st := s.new(t)
	k := func(name string) string { return s.key(t, name) }
	prefixed := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
		} else if !strings.HasPrefix(err.Error(), "ring: backend "+st.Name()) {
			t.Errorf("%s: error %q does not start with %q", what, err, "ring: backend "+st.Name())
		}
	}
	present := !s.o.StoresNothing
	long := time.Hour
	if s.o.NoExpiry {
		long = 0
		err := backends.SetManyTTL(ctx(t), st, []string{k("x"), k("x0")}, []any{val(st, 1), val(st, 2)}, []time.Duration{s.o.ttl(), 0})
		if !errors.Is(err, backends.ErrNotSupported) {
			t.Errorf("SetManyTTL with ttl %v: error %v, want one wrapping ErrNotSupported", s.o.ttl(), err)
		}
		s.wantGet(t, st, k("x"), false, nil)
	}

	keys := []string{k("a"), k("b"), k("c")}
	must(t, backends.SetManyTTL(ctx(t), st, keys, []any{val(st, 1), val(st, 2), val(st, 3)}, []time.Duration{0, long, 0}), "SetManyTTL")
	got, found, err := backends.GetMany(ctx(t), st, keys)
	must(t, err, "GetMany")
	for i := range keys {
		if found[i] != present || (present && !equal(got[i], val(st, i+1))) {
			t.Fatalf("after SetManyTTL: GetMany %q = %#v (found %v), want %#v (found %v)", keys[i], got[i], found[i], val(st, i+1), present)
		}
	}

	// A key given twice keeps its last entry, whatever the ttls.
	d := k("dup")
	must(t, backends.SetManyTTL(ctx(t), st, []string{d, k("other"), d}, []any{val(st, 1), val(st, 2), val(st, 3)}, []time.Duration{long, 0, 0}), "SetManyTTL with a repeated key")
	if present {
		s.wantGet(t, st, d, true, val(st, 3))
	}

	// Wrong lengths and a negative ttl write nothing.
	e, f := k("e"), k("f")
	prefixed("SetManyTTL with 2 keys and 1 ttl", backends.SetManyTTL(ctx(t), st, []string{e, f}, []any{val(st, 1), val(st, 2)}, []time.Duration{0}))
	prefixed("SetManyTTL with 2 keys and 1 value", backends.SetManyTTL(ctx(t), st, []string{e, f}, []any{val(st, 1)}, []time.Duration{0, 0}))
	prefixed("SetManyTTL with a negative ttl", backends.SetManyTTL(ctx(t), st, []string{e, f}, []any{val(st, 1), val(st, 2)}, []time.Duration{0, -time.Second}))
	if n, ok := st.(backends.BulkTTLSetter); ok {
		// The native form checks its arguments itself.
		prefixed("native SetManyTTL with 2 keys and 1 ttl", n.SetManyTTL(ctx(t), []string{e, f}, []any{val(st, 1), val(st, 2)}, []time.Duration{0}))
		prefixed("native SetManyTTL with a negative ttl", n.SetManyTTL(ctx(t), []string{e, f}, []any{val(st, 1), val(st, 2)}, []time.Duration{0, -time.Second}))
	}
	s.wantGet(t, st, e, false, nil)
	s.wantGet(t, st, f, false, nil)

	must(t, backends.SetManyTTL(ctx(t), st, nil, nil, nil), "SetManyTTL of no keys")
}

// bulkTTLExpiry is the expiry case of SetManyTTL: each entry expires after
// its own ttl, and an entry with ttl 0 never does.
func (s *suite) bulkTTLExpiry(ttl time.Duration) expiryCase {
	suffixes := []string{"short1", "long", "none", "short2"}
	ttls := []time.Duration{ttl, time.Hour, 0, ttl}
	keys := func(k string) []string {
		out := make([]string, len(suffixes))
		for i, x := range suffixes {
			out[i] = k + x
		}
		return out
	}
	return expiryCase{
		name: "BulkTTLEach",
		before: func(t *testing.T, st backends.Storage, k string) {
			values := make([]any, len(ttls))
			for i := range values {
				values[i] = val(st, i)
			}
			must(t, backends.SetManyTTL(ctx(t), st, keys(k), values, ttls), "SetManyTTL")
			_, found, err := backends.GetMany(ctx(t), st, keys(k))
			must(t, err, "GetMany")
			for i, ok := range found {
				if ok != !s.o.StoresNothing {
					t.Fatalf("GetMany right after SetManyTTL: %s found = %v", suffixes[i], ok)
				}
			}
		},
		after: func(t *testing.T, st backends.Storage, k string) {
			_, found, err := backends.GetMany(ctx(t), st, keys(k))
			must(t, err, "GetMany")
			for i, ok := range found {
				if want := ttls[i] != ttl && !s.o.StoresNothing; ok != want {
					t.Errorf("after the short ttl: %s (ttl %v) found = %v, want %v", suffixes[i], ttls[i], ok, want)
				}
			}
		},
	}
}
