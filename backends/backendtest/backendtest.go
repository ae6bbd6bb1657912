// Package backendtest is the conformance suite that every ring backend
// passes. A backend's tests call [Run] with a constructor and the
// [Options] that describe what the backend is expected to do:
//
//	func TestConformance(t *testing.T) {
//		backendtest.Run(t, func(t *testing.T) backends.Storage {
//			return backends.NewDict()
//		}, backendtest.Options{})
//	}
//
// The suite uses real time for expiry (it writes every expiry case, sleeps
// once just past a short ttl, then checks every case) and keys
// that are unique per run and per subtest, so it can run against a server
// shared with other tests. It never clears an empty prefix; at the end it
// clears the run's own prefix where the backend supports Clear.
package backendtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringcache/ring/backends"
)

// Options tells the suite what the backend under test is expected to do.
// The zero value describes a backend with every capability, millisecond
// expiry and a 1 MiB value limit or more.
type Options struct {
	// TTL is the short expiry the expiry tests use: a read right after a
	// write with this ttl must still hit. Zero means 150ms. Use 2s for
	// memcached, whose clock has whole seconds.
	TTL time.Duration
	// Slack is how long past TTL an entry must be gone. Zero means 150ms
	// (1s is right for memcached).
	Slack time.Duration

	// NoExpiry says the backend has no per-entry expiry: every write or
	// touch with a positive ttl must fail with an error wrapping
	// backends.ErrNotSupported, and a zero ttl must work.
	NoExpiry bool
	// NoTouch says Touch must fail with backends.ErrNotSupported.
	NoTouch bool
	// NoSetIfAbsent says SetIfAbsent must fail with
	// backends.ErrNotSupported.
	NoSetIfAbsent bool
	// NoClear says Clear must fail with backends.ErrNotSupported.
	NoClear bool
	// StoresNothing says the backend forgets every write (Dummy): every
	// write succeeds, every read misses, SetIfAbsent always writes.
	StoresNothing bool

	// MaxValueSize is the size of the large value the suite stores and
	// reads back. Zero means 1 MiB.
	MaxValueSize int
	// OversizeValue, when positive, is a value size that Set must refuse
	// with an error (memcached: just over its 1 MiB item limit).
	OversizeValue int

	// HonoursContext says every call with a cancelled context must fail
	// with an error wrapping context.Canceled.
	HonoursContext bool

	// UnknownTTL says the backend cannot read an entry's remaining
	// time-to-live: backends.GetWithTTL and GetManyWithTTL must report
	// backends.TTLUnknown for every hit (a memcached backend without its
	// server selector, or a backend without backends.TTLGetter). Otherwise
	// a hit must report the time left, 0 for an entry without expiry.
	UnknownTTL bool
}

func (o Options) ttl() time.Duration {
	if o.TTL > 0 {
		return o.TTL
	}
	return 150 * time.Millisecond
}

func (o Options) wait() time.Duration {
	if o.Slack > 0 {
		return o.ttl() + o.Slack
	}
	return o.ttl() + 150*time.Millisecond
}

func (o Options) maxValue() int {
	if o.MaxValueSize > 0 {
		return o.MaxValueSize
	}
	return 1 << 20
}

// Run runs the conformance suite as subtests of t. newStorage is called once
// per subtest and may return a fresh backend or a shared one; it should
// register any cleanup with t.Cleanup.
func Run(t *testing.T, newStorage func(t *testing.T) backends.Storage, opts Options) {
	t.Helper()
	var id [6]byte
	_, _ = rand.Read(id[:])
	s := &suite{new: newStorage, o: opts, run: hex.EncodeToString(id[:])}
	if !opts.NoClear && !opts.StoresNothing {
		// Leave a shared server as it was found.
		st := newStorage(t)
		t.Cleanup(func() { _ = backends.Clear(context.Background(), st, "ring-test:"+s.run+":") })
	}
	for _, c := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"Basics", s.basics},
		{"Values", s.values},
		{"WrongType", s.wrongType},
		{"LargeValue", s.largeValue},
		{"BinaryKeys", s.binaryKeys},
		{"EmptyKey", s.emptyKey},
		{"Bulk", s.bulk},
		{"BulkTTL", s.bulkTTL},
		{"SetIfAbsent", s.setIfAbsent},
		{"Remove", s.remove},
		{"NegativeTTL", s.negativeTTL},
		{"Expiry", s.expiry},
		{"TTL", s.ttlRead},
		{"Clear", s.clear},
		{"Context", s.context},
		{"Concurrent", s.concurrent},
		{"Lease", s.lease},
	} {
		t.Run(c.name, c.fn)
	}
}

type suite struct {
	new func(t *testing.T) backends.Storage
	o   Options
	run string
}

// key returns a key unique to this run and subtest.
func (s *suite) key(t *testing.T, name string) string {
	return "ring-test:" + s.run + ":" + t.Name() + ":" + name
}

// val returns the i-th test value in the backend's kind: []byte for a bytes
// backend, a Go value otherwise.
func val(st backends.Storage, i int) any {
	if st.Bytes() {
		return []byte(fmt.Sprintf("value-%d", i))
	}
	return struct {
		N int
		S string
	}{i, fmt.Sprint(i)}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

// wantGet checks Get(key): present with want, or a miss when want is nil and
// present is false.
func (s *suite) wantGet(t *testing.T, st backends.Storage, key string, present bool, want any) {
	t.Helper()
	got, found, err := st.Get(ctx(t), key)
	must(t, err, "Get "+key)
	if s.o.StoresNothing {
		present = false
	}
	if found != present {
		t.Fatalf("Get %q: found = %v, want %v (value %#v)", key, found, present, got)
	}
	if !present {
		if got != nil {
			t.Errorf("Get %q: a miss returned value %#v, want nil", key, got)
		}
		return
	}
	if !equal(got, want) {
		t.Fatalf("Get %q = %#v, want %#v", key, short(got), short(want))
	}
}

func (s *suite) wantHas(t *testing.T, st backends.Storage, key string, present bool) {
	t.Helper()
	ok, err := backends.Has(ctx(t), st, key)
	must(t, err, "Has "+key)
	if s.o.StoresNothing {
		present = false
	}
	if ok != present {
		t.Fatalf("Has %q = %v, want %v", key, ok, present)
	}
}

func equal(got, want any) bool {
	if g, ok := got.([]byte); ok {
		w, ok := want.([]byte)
		return ok && bytes.Equal(g, w) && (g != nil) // a hit never returns a nil slice
	}
	return reflect.DeepEqual(got, want)
}

// short keeps large values out of failure messages.
func short(v any) any {
	if b, ok := v.([]byte); ok && len(b) > 64 {
		return fmt.Sprintf("[]byte(%d bytes, starting %x)", len(b), b[:16])
	}
	return v
}

func (s *suite) basics(t *testing.T) {
	st := s.new(t)
	if st.Name() == "" {
		t.Error("Name() is empty")
	}
	k := s.key(t, "k")
	s.wantGet(t, st, k, false, nil)
	s.wantHas(t, st, k, false)

	must(t, st.Set(ctx(t), k, val(st, 1), 0), "Set")
	s.wantGet(t, st, k, true, val(st, 1))
	s.wantHas(t, st, k, true)

	must(t, st.Set(ctx(t), k, val(st, 2), 0), "Set again")
	s.wantGet(t, st, k, true, val(st, 2))

	must(t, st.Delete(ctx(t), k), "Delete")
	s.wantGet(t, st, k, false, nil)
	s.wantHas(t, st, k, false)
	must(t, st.Delete(ctx(t), k), "Delete of an absent key")

	// Keys that share a prefix are distinct entries.
	must(t, st.Set(ctx(t), k+"a", val(st, 3), 0), "Set")
	s.wantGet(t, st, k, false, nil)
	s.wantGet(t, st, k+"a", true, val(st, 3))
}

func (s *suite) values(t *testing.T) {
	st := s.new(t)
	type zero struct {
		A int
		B string
	}
	var cases []struct {
		name string
		v    any
	}
	if st.Bytes() {
		all := make([]byte, 256)
		for i := range all {
			all[i] = byte(i)
		}
		cases = []struct {
			name string
			v    any
		}{
			{"empty", []byte{}},
			{"binary", all},
			{"nul", []byte{0}},
			{"crlf", []byte("a\r\nEND\r\nb")},
		}
		// A nil []byte is stored as an empty value, not a miss.
		k := s.key(t, "nil")
		must(t, st.Set(ctx(t), k, []byte(nil), 0), "Set nil []byte")
		s.wantGet(t, st, k, true, []byte{})
	} else {
		cases = []struct {
			name string
			v    any
		}{
			{"nil", nil},
			{"zero int", 0},
			{"empty string", ""},
			{"zero struct", zero{}},
			{"empty bytes", []byte{}},
			{"binary", []byte{0, 1, 2, 255}},
			{"pointer", &zero{A: 1}},
		}
	}
	for _, c := range cases {
		k := s.key(t, c.name)
		must(t, st.Set(ctx(t), k, c.v, 0), "Set "+c.name)
		s.wantGet(t, st, k, true, c.v)
		s.wantHas(t, st, k, true)
	}
}

func (s *suite) wrongType(t *testing.T) {
	st := s.new(t)
	if !st.Bytes() {
		t.Skip("value backend: any Go value is accepted")
	}
	k := s.key(t, "k")
	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s of a string on a bytes backend: no error", what)
		}
		if !strings.Contains(err.Error(), "string") || !strings.Contains(err.Error(), "ring: backend "+st.Name()) {
			t.Errorf("%s error %q does not name the backend and the type string", what, err)
		}
	}
	check("Set", st.Set(ctx(t), k, "text", 0))
	check("SetMany", backends.SetMany(ctx(t), st, []string{k}, []any{"text"}, 0))
	if !s.o.NoSetIfAbsent {
		_, err := backends.SetIfAbsent(ctx(t), st, k, "text", 0)
		check("SetIfAbsent", err)
	}
	s.wantGet(t, st, k, false, nil)
}

func (s *suite) largeValue(t *testing.T) {
	st := s.new(t)
	big := make([]byte, s.o.maxValue())
	_, _ = rand.Read(big)
	k := s.key(t, "big")
	must(t, st.Set(ctx(t), k, big, 0), fmt.Sprintf("Set of %d bytes", len(big)))
	s.wantGet(t, st, k, true, big)
	if s.o.OversizeValue > 0 {
		k2 := s.key(t, "too-big")
		err := st.Set(ctx(t), k2, make([]byte, s.o.OversizeValue), 0)
		if err == nil {
			t.Fatalf("Set of %d bytes: no error, want one (over the item size limit)", s.o.OversizeValue)
		}
		if !strings.Contains(err.Error(), fmt.Sprint(s.o.OversizeValue)) {
			t.Errorf("oversize error %q does not give the size %d", err, s.o.OversizeValue)
		}
		s.wantGet(t, st, k2, false, nil)
		// The connection is still usable afterwards.
		s.wantGet(t, st, k, true, big)
	}
}

// binaryKeys stores one entry per byte value under keys that differ only in
// that byte, and one under a key holding every byte value, each after
// RefactorKey.
func (s *suite) binaryKeys(t *testing.T) {
	st := s.new(t)
	base := s.key(t, "")
	keys := make([]string, 256)
	values := make([]any, 256)
	for i := range keys {
		keys[i] = backends.RefactorKey(st, base+string([]byte{byte(i)}))
		if st.Bytes() {
			values[i] = []byte{byte(i)}
		} else {
			values[i] = i
		}
	}
	seen := make(map[string]int)
	for i, k := range keys {
		if j, dup := seen[k]; dup {
			t.Fatalf("RefactorKey maps the keys ending in byte %d and %d to the same key %q", j, i, k)
		}
		seen[k] = i
	}
	must(t, backends.SetMany(ctx(t), st, keys, values, 0), "SetMany")
	got, found, err := backends.GetMany(ctx(t), st, keys)
	must(t, err, "GetMany")
	for i := range keys {
		if s.o.StoresNothing {
			if found[i] {
				t.Fatalf("key with byte %d: found on a backend that stores nothing", i)
			}
			continue
		}
		if !found[i] || !equal(got[i], values[i]) {
			t.Fatalf("key with byte %d: got %#v (found %v), want %#v", i, got[i], found[i], values[i])
		}
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	k := backends.RefactorKey(st, base+string(all))
	if again := backends.RefactorKey(st, k); again != k {
		t.Errorf("RefactorKey is not idempotent: %q then %q", k, again)
	}
	must(t, st.Set(ctx(t), k, val(st, 7), 0), "Set under a key with every byte value")
	s.wantGet(t, st, k, true, val(st, 7))
	// The backend refactors keys itself, so the raw key reaches the same entry.
	s.wantGet(t, st, base+string(all), true, val(st, 7))
	must(t, backends.DeleteMany(ctx(t), st, keys[:128]), "DeleteMany")
	has, err := backends.HasMany(ctx(t), st, keys)
	must(t, err, "HasMany")
	for i, h := range has {
		if want := i >= 128 && !s.o.StoresNothing; h != want {
			t.Fatalf("HasMany: key with byte %d = %v, want %v", i, h, want)
		}
	}
}

func (s *suite) emptyKey(t *testing.T) {
	st := s.new(t)
	k := backends.RefactorKey(st, "")
	v := val(st, 99)
	if b, ok := v.([]byte); ok {
		v = append(b, s.run...) // tell this run's write from another's
	}
	must(t, st.Set(ctx(t), k, v, 0), "Set under the empty key")
	t.Cleanup(func() { _ = st.Delete(context.Background(), k) })
	s.wantGet(t, st, k, true, v)
	must(t, st.Delete(ctx(t), k), "Delete of the empty key")
	s.wantGet(t, st, k, false, nil)
}

func (s *suite) bulk(t *testing.T) {
	st := s.new(t)
	keys := make([]string, 6)
	for i := range keys {
		keys[i] = s.key(t, fmt.Sprint(i))
	}
	// Write the even keys only.
	var wk []string
	var wv []any
	for i := 0; i < len(keys); i += 2 {
		wk, wv = append(wk, keys[i]), append(wv, val(st, i))
	}
	must(t, backends.SetMany(ctx(t), st, wk, wv, 0), "SetMany")
	if err := backends.SetMany(ctx(t), st, wk, wv[:1], 0); err == nil {
		t.Error("SetMany with 3 keys and 1 value: no error")
	}

	ask := append(append([]string{}, keys...), keys[2]) // a duplicate too
	got, found, err := backends.GetMany(ctx(t), st, ask)
	must(t, err, "GetMany")
	if len(got) != len(ask) || len(found) != len(ask) {
		t.Fatalf("GetMany returned %d values and %d flags for %d keys", len(got), len(found), len(ask))
	}
	for i, k := range ask {
		j := i
		if i == len(keys) {
			j = 2
		}
		want := j%2 == 0 && !s.o.StoresNothing
		if found[i] != want {
			t.Fatalf("GetMany %q: found = %v, want %v", k, found[i], want)
		}
		if want && !equal(got[i], val(st, j)) {
			t.Fatalf("GetMany %q = %#v, want %#v", k, got[i], val(st, j))
		}
		if !want && got[i] != nil {
			t.Fatalf("GetMany %q: a miss returned %#v", k, got[i])
		}
	}
	has, err := backends.HasMany(ctx(t), st, keys)
	must(t, err, "HasMany")
	for i, h := range has {
		if want := i%2 == 0 && !s.o.StoresNothing; h != want {
			t.Fatalf("HasMany %q = %v, want %v", keys[i], h, want)
		}
	}
	if !s.o.NoTouch {
		must(t, backends.TouchMany(ctx(t), st, keys, 0), "TouchMany with ttl 0 over hits and misses")
		has, err = backends.HasMany(ctx(t), st, keys)
		must(t, err, "HasMany after TouchMany")
		for i, h := range has {
			if want := i%2 == 0 && !s.o.StoresNothing; h != want {
				t.Fatalf("after TouchMany: HasMany %q = %v, want %v (touch must not create keys)", keys[i], h, want)
			}
		}
	}
	// Delete a hit and a miss.
	must(t, backends.DeleteMany(ctx(t), st, []string{keys[0], keys[1]}), "DeleteMany")
	has, err = backends.HasMany(ctx(t), st, keys)
	must(t, err, "HasMany after DeleteMany")
	for i, h := range has {
		if want := i%2 == 0 && i != 0 && !s.o.StoresNothing; h != want {
			t.Fatalf("after DeleteMany: HasMany %q = %v, want %v", keys[i], h, want)
		}
	}
	// Empty calls.
	got, found, err = backends.GetMany(ctx(t), st, nil)
	must(t, err, "GetMany of no keys")
	if len(got) != 0 || len(found) != 0 {
		t.Errorf("GetMany of no keys returned %d values", len(got))
	}
	must(t, backends.SetMany(ctx(t), st, nil, nil, 0), "SetMany of no keys")
	must(t, backends.DeleteMany(ctx(t), st, nil), "DeleteMany of no keys")
	has, err = backends.HasMany(ctx(t), st, nil)
	must(t, err, "HasMany of no keys")
	if len(has) != 0 {
		t.Errorf("HasMany of no keys returned %d flags", len(has))
	}
}

func (s *suite) setIfAbsent(t *testing.T) {
	st := s.new(t)
	k := s.key(t, "k")
	ok, err := backends.SetIfAbsent(ctx(t), st, k, val(st, 1), 0)
	if s.o.NoSetIfAbsent {
		if !errors.Is(err, backends.ErrNotSupported) {
			t.Fatalf("SetIfAbsent: error %v, want one wrapping ErrNotSupported", err)
		}
		return
	}
	must(t, err, "SetIfAbsent")
	if !ok {
		t.Fatal("SetIfAbsent of an absent key: not written")
	}
	ok, err = backends.SetIfAbsent(ctx(t), st, k, val(st, 2), 0)
	must(t, err, "SetIfAbsent again")
	if ok != s.o.StoresNothing {
		t.Fatalf("SetIfAbsent of a present key: written = %v", ok)
	}
	s.wantGet(t, st, k, true, val(st, 1))
	must(t, st.Delete(ctx(t), k), "Delete")
	ok, err = backends.SetIfAbsent(ctx(t), st, k, val(st, 3), 0)
	must(t, err, "SetIfAbsent after Delete")
	if !ok {
		t.Fatal("SetIfAbsent after Delete: not written")
	}
	s.wantGet(t, st, k, true, val(st, 3))
}

// remove checks backends.Remove, native or by Has then Delete.
func (s *suite) remove(t *testing.T) {
	st := s.new(t)
	k := s.key(t, "k")
	existed, err := backends.Remove(ctx(t), st, k)
	must(t, err, "Remove of an absent key")
	if existed {
		t.Fatal("Remove of an absent key reported it was there")
	}
	must(t, st.Set(ctx(t), k, val(st, 1), 0), "Set")
	existed, err = backends.Remove(ctx(t), st, k)
	must(t, err, "Remove")
	if existed != !s.o.StoresNothing {
		t.Fatalf("Remove of a present key: existed = %v", existed)
	}
	s.wantGet(t, st, k, false, nil)
	existed, err = backends.Remove(ctx(t), st, k)
	must(t, err, "Remove again")
	if existed {
		t.Fatal("a second Remove reported the key was there")
	}
}

func (s *suite) negativeTTL(t *testing.T) {
	st := s.new(t)
	k := s.key(t, "k")
	neg := -time.Second
	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s with ttl %v: no error", what, neg)
		} else if !strings.HasPrefix(err.Error(), "ring: backend "+st.Name()) {
			t.Errorf("%s with ttl %v: error %q does not start with %q", what, neg, err, "ring: backend "+st.Name())
		}
	}
	check("Set", st.Set(ctx(t), k, val(st, 1), neg))
	check("SetMany", backends.SetMany(ctx(t), st, []string{k}, []any{val(st, 1)}, neg))
	if !s.o.NoTouch {
		check("Touch", backends.Touch(ctx(t), st, k, neg))
		check("TouchMany", backends.TouchMany(ctx(t), st, []string{k}, neg))
	}
	if !s.o.NoSetIfAbsent {
		_, err := backends.SetIfAbsent(ctx(t), st, k, val(st, 1), neg)
		check("SetIfAbsent", err)
	}
	s.wantGet(t, st, k, false, nil)
}

// expiryCase is one expiry test: before runs right after the writes, after
// runs once the short ttl has surely passed.
type expiryCase struct {
	name          string
	before, after func(t *testing.T, st backends.Storage, k string)
}

// expiry runs every expiry case's first half, sleeps once for all of them,
// then runs every second half, so that the suite waits about one TTL+Slack
// in all whatever the test parallelism.
func (s *suite) expiry(t *testing.T) {
	if s.o.NoExpiry {
		s.noExpiry(t)
		return
	}
	cases := s.expiryCases()
	type state struct {
		st backends.Storage
		k  string
		ok bool
	}
	states := make([]state, len(cases))
	for i, c := range cases {
		states[i] = state{st: s.new(t), k: s.key(t, c.name)}
		states[i].ok = t.Run(c.name+":before", func(t *testing.T) { c.before(t, states[i].st, states[i].k) })
	}
	time.Sleep(s.o.wait())
	for i, c := range cases {
		if states[i].ok {
			t.Run(c.name+":after", func(t *testing.T) { c.after(t, states[i].st, states[i].k) })
		}
	}
}

func (s *suite) expiryCases() []expiryCase {
	ttl, long := s.o.ttl(), time.Hour
	present := !s.o.StoresNothing
	cases := []expiryCase{{
		name: "Expires",
		before: func(t *testing.T, st backends.Storage, k string) {
			must(t, st.Set(ctx(t), k, val(st, 1), ttl), "Set")
			s.wantGet(t, st, k, true, val(st, 1))
			s.wantHas(t, st, k, true)
		},
		after: func(t *testing.T, st backends.Storage, k string) {
			s.wantGet(t, st, k, false, nil)
			s.wantHas(t, st, k, false)
			_, found, err := backends.GetMany(ctx(t), st, []string{k})
			must(t, err, "GetMany")
			if found[0] {
				t.Fatal("GetMany: an expired entry was found")
			}
			existed, err := backends.Remove(ctx(t), st, k)
			must(t, err, "Remove")
			if existed {
				t.Fatal("Remove of an expired entry reported it was there")
			}
		},
	}, {
		name: "SetClearsExpiry",
		before: func(t *testing.T, st backends.Storage, k string) {
			must(t, st.Set(ctx(t), k, val(st, 1), ttl), "Set with ttl")
			must(t, st.Set(ctx(t), k, val(st, 2), 0), "Set without ttl")
		},
		after: func(t *testing.T, st backends.Storage, k string) {
			s.wantGet(t, st, k, true, val(st, 2))
		},
	}, {
		name: "BulkExpires",
		before: func(t *testing.T, st backends.Storage, k string) {
			keys := []string{k + "1", k + "2"}
			must(t, backends.SetMany(ctx(t), st, keys, []any{val(st, 1), val(st, 2)}, ttl), "SetMany")
			has, err := backends.HasMany(ctx(t), st, keys)
			must(t, err, "HasMany")
			if has[0] != present || has[1] != present {
				t.Fatalf("HasMany right after SetMany = %v", has)
			}
			if !s.o.NoTouch {
				must(t, backends.TouchMany(ctx(t), st, keys[:1], long), "TouchMany")
			}
		},
		after: func(t *testing.T, st backends.Storage, k string) {
			_, found, err := backends.GetMany(ctx(t), st, []string{k + "1", k + "2"})
			must(t, err, "GetMany")
			if want := present && !s.o.NoTouch; found[0] != want || found[1] {
				t.Fatalf("GetMany after the expiry: found = %v, want [%v false]", found, want)
			}
		},
	}, s.bulkTTLExpiry(ttl)}
	cases = append(cases, expiryCase{
		name: "TTLCountsDown",
		before: func(t *testing.T, st backends.Storage, k string) {
			written := time.Now()
			must(t, st.Set(ctx(t), k, val(st, 1), ttl), "Set")
			s.wantTTL(t, st, k, present, val(st, 1), ttl, written)
		},
		after: func(t *testing.T, st backends.Storage, k string) {
			s.wantTTL(t, st, k, false, nil, 0, time.Time{})
		},
	})
	if !s.o.NoSetIfAbsent {
		cases = append(cases, expiryCase{
			name: "SetIfAbsentAfterExpiry",
			before: func(t *testing.T, st backends.Storage, k string) {
				ok, err := backends.SetIfAbsent(ctx(t), st, k, val(st, 1), ttl)
				must(t, err, "SetIfAbsent")
				if !ok {
					t.Fatal("SetIfAbsent of an absent key: not written")
				}
				ok, err = backends.SetIfAbsent(ctx(t), st, k, val(st, 2), ttl)
				must(t, err, "SetIfAbsent again")
				if ok != s.o.StoresNothing {
					t.Fatalf("SetIfAbsent of a present key: written = %v", ok)
				}
			},
			after: func(t *testing.T, st backends.Storage, k string) {
				ok, err := backends.SetIfAbsent(ctx(t), st, k, val(st, 3), 0)
				must(t, err, "SetIfAbsent after the expiry")
				if !ok {
					t.Fatal("SetIfAbsent after the expiry: not written")
				}
				s.wantGet(t, st, k, true, val(st, 3))
			},
		})
	}
	if s.o.NoTouch {
		return cases
	}
	return append(cases, expiryCase{
		name: "TouchExtends",
		before: func(t *testing.T, st backends.Storage, k string) {
			must(t, st.Set(ctx(t), k, val(st, 1), ttl), "Set")
			must(t, backends.Touch(ctx(t), st, k, long), "Touch")
		},
		after: func(t *testing.T, st backends.Storage, k string) {
			s.wantGet(t, st, k, true, val(st, 1))
		},
	}, expiryCase{
		name: "TouchKeepsAnExpiry",
		before: func(t *testing.T, st backends.Storage, k string) {
			must(t, st.Set(ctx(t), k, val(st, 1), 0), "Set")
			must(t, backends.Touch(ctx(t), st, k, ttl), "Touch")
			s.wantGet(t, st, k, true, val(st, 1))
		},
		after: func(t *testing.T, st backends.Storage, k string) {
			s.wantGet(t, st, k, false, nil)
		},
	}, expiryCase{
		name: "TouchZeroPersists",
		before: func(t *testing.T, st backends.Storage, k string) {
			must(t, st.Set(ctx(t), k, val(st, 1), ttl), "Set")
			must(t, backends.Touch(ctx(t), st, k, 0), "Touch 0")
		},
		after: func(t *testing.T, st backends.Storage, k string) {
			s.wantGet(t, st, k, true, val(st, 1))
		},
	}, expiryCase{
		name: "TouchAbsent",
		before: func(t *testing.T, st backends.Storage, k string) {
			must(t, backends.Touch(ctx(t), st, k, ttl), "Touch of an absent key")
			must(t, backends.Touch(ctx(t), st, k, 0), "Touch 0 of an absent key")
			s.wantHas(t, st, k, false)
			must(t, st.Set(ctx(t), k, val(st, 1), ttl), "Set")
		},
		after: func(t *testing.T, st backends.Storage, k string) {
			must(t, backends.Touch(ctx(t), st, k, long), "Touch of an expired key")
			s.wantGet(t, st, k, false, nil)
		},
	})
}

// noExpiry checks a backend without per-entry expiry: a positive ttl is an
// error wrapping ErrNotSupported and writes nothing, a zero ttl works.
func (s *suite) noExpiry(t *testing.T) {
	st := s.new(t)
	k := s.key(t, "k")
	ttl := s.o.ttl()
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, backends.ErrNotSupported) {
			t.Errorf("%s with ttl %v: error %v, want one wrapping ErrNotSupported", what, ttl, err)
		}
	}
	check("Set", st.Set(ctx(t), k, val(st, 1), ttl))
	check("SetMany", backends.SetMany(ctx(t), st, []string{k}, []any{val(st, 1)}, ttl))
	if !s.o.NoSetIfAbsent {
		_, err := backends.SetIfAbsent(ctx(t), st, k, val(st, 1), ttl)
		check("SetIfAbsent", err)
	}
	s.wantGet(t, st, k, false, nil)
	must(t, st.Set(ctx(t), k, val(st, 1), 0), "Set with ttl 0")
	if !s.o.NoTouch {
		check("Touch", backends.Touch(ctx(t), st, k, ttl))
		check("TouchMany", backends.TouchMany(ctx(t), st, []string{k}, ttl))
		must(t, backends.Touch(ctx(t), st, k, 0), "Touch with ttl 0")
		must(t, backends.TouchMany(ctx(t), st, []string{k}, 0), "TouchMany with ttl 0")
	}
	s.wantGet(t, st, k, true, val(st, 1))
}

func (s *suite) clear(t *testing.T) {
	st := s.new(t)
	base := s.key(t, "")
	if s.o.NoClear {
		err := backends.Clear(ctx(t), st, base)
		if !errors.Is(err, backends.ErrNotSupported) {
			t.Fatalf("Clear: error %v, want one wrapping ErrNotSupported", err)
		}
		return
	}
	// The prefix holds every glob metacharacter: it must match literally.
	prefix := base + `a*?[x]\`
	gone := []string{prefix, prefix + "1", prefix + "2:x", prefix + `\*`}
	kept := []string{
		base + "a",        // shorter than the prefix
		base + `ab?[x]\1`, // '*' must not match "b"
		base + `a*?[x]`,   // the prefix less its last byte
		base + `a*![x]\1`, // '?' must not match "!"
		base + `a*?x\1`,   // "[x]" must not match "x"
		base + "zz",       // unrelated
	}
	all := append(append([]string{}, gone...), kept...)
	values := make([]any, len(all))
	for i := range values {
		values[i] = val(st, i)
	}
	must(t, backends.SetMany(ctx(t), st, all, values, 0), "SetMany")
	must(t, backends.Clear(ctx(t), st, prefix), "Clear")
	for _, k := range gone {
		s.wantHas(t, st, k, false)
	}
	for _, k := range kept {
		s.wantHas(t, st, k, true)
	}
	// Many keys: more than one batch of a SCAN.
	many := make([]string, 2500)
	mv := make([]any, len(many))
	for i := range many {
		many[i] = fmt.Sprintf("%smany:%d", base, i)
		mv[i] = val(st, i)
	}
	must(t, backends.SetMany(ctx(t), st, many, mv, 0), "SetMany of 2500 keys")
	// A match removes only the keys it accepts (here the even ones).
	even := func(k string) bool {
		n, err := strconv.Atoi(k[strings.LastIndexByte(k, ':')+1:])
		return err == nil && n%2 == 0
	}
	must(t, backends.ClearMatch(ctx(t), st, base+"many:", even), "ClearMatch of 1250 of 2500 keys")
	has, err := backends.HasMany(ctx(t), st, many)
	must(t, err, "HasMany")
	for i, h := range has {
		if h != (i%2 == 1 && !s.o.StoresNothing) {
			t.Fatalf("after ClearMatch of the even keys: Has(%q) = %v", many[i], h)
		}
	}
	must(t, backends.Clear(ctx(t), st, base+"many:"), "Clear of 2500 keys")
	has, err = backends.HasMany(ctx(t), st, many)
	must(t, err, "HasMany")
	for i, h := range has {
		if h {
			t.Fatalf("after Clear: %q is still there", many[i])
		}
	}
	must(t, backends.Clear(ctx(t), st, base), "Clear of the test's keys")
	for _, k := range kept {
		s.wantHas(t, st, k, false)
	}
}

func (s *suite) context(t *testing.T) {
	if !s.o.HonoursContext {
		t.Skip("the backend does not promise to honour a cancelled context")
	}
	st := s.new(t)
	c, cancel := context.WithCancel(context.Background())
	cancel()
	k := s.key(t, "k")
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: error %v, want one wrapping context.Canceled", what, err)
		}
	}
	_, _, err := st.Get(c, k)
	check("Get", err)
	check("Set", st.Set(c, k, val(st, 1), 0))
	check("Delete", st.Delete(c, k))
	_, err = backends.Has(c, st, k)
	check("Has", err)
	_, _, err = backends.GetMany(c, st, []string{k})
	check("GetMany", err)
	check("SetMany", backends.SetMany(c, st, []string{k}, []any{val(st, 1)}, 0))
	check("DeleteMany", backends.DeleteMany(c, st, []string{k}))
	_, err = backends.HasMany(c, st, []string{k})
	check("HasMany", err)
	_, err = backends.Remove(c, st, k)
	check("Remove", err)
	_, _, _, err = backends.GetWithTTL(c, st, k)
	check("GetWithTTL", err)
	_, _, _, err = backends.GetManyWithTTL(c, st, []string{k})
	check("GetManyWithTTL", err)
	if !s.o.NoTouch {
		check("Touch", backends.Touch(c, st, k, 0))
		check("TouchMany", backends.TouchMany(c, st, []string{k}, 0))
	}
	if !s.o.NoSetIfAbsent {
		_, err = backends.SetIfAbsent(c, st, k, val(st, 1), 0)
		check("SetIfAbsent", err)
	}
	if !s.o.NoClear {
		check("Clear", backends.Clear(c, st, k))
	}
	s.wantGet(t, st, k, false, nil)
}

// concurrent runs a few goroutines over shared and private keys; under
// -race it finds data races, and it checks that every value read is one
// that was written.
func (s *suite) concurrent(t *testing.T) {
	st := s.new(t)
	const workers, rounds = 4, 40
	shared := s.key(t, "shared")
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.worker(t, st, w, rounds, shared)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func (s *suite) worker(t *testing.T, st backends.Storage, w, rounds int, shared string) error {
	c := ctx(t)
	own := s.key(t, fmt.Sprint("own", w))
	valid := func(v any) bool {
		for i := range rounds * 10 {
			if equal(v, val(st, i)) {
				return true
			}
		}
		return false
	}
	for i := range rounds {
		v := val(st, w*rounds+i)
		if err := st.Set(c, own, v, 0); err != nil {
			return fmt.Errorf("worker %d: Set: %w", w, err)
		}
		got, found, err := st.Get(c, own)
		if err != nil {
			return fmt.Errorf("worker %d: Get: %w", w, err)
		}
		if found != !s.o.StoresNothing || (found && !equal(got, v)) {
			return fmt.Errorf("worker %d: Get of its own key = %#v (found %v), want %#v", w, got, found, v)
		}
		got, ttl, found, err := backends.GetWithTTL(c, st, own)
		if err != nil {
			return fmt.Errorf("worker %d: GetWithTTL: %w", w, err)
		}
		if found != !s.o.StoresNothing || (found && (!equal(got, v) || !s.ttlOK(ttl, 0, time.Time{}))) {
			return fmt.Errorf("worker %d: GetWithTTL of its own key = %#v, %v (found %v), want %#v with no expiry", w, got, ttl, found, v)
		}
		if err := st.Set(c, shared, v, 0); err != nil {
			return fmt.Errorf("worker %d: Set shared: %w", w, err)
		}
		got, found, err = st.Get(c, shared)
		if err != nil {
			return fmt.Errorf("worker %d: Get shared: %w", w, err)
		}
		if found && !valid(got) {
			return fmt.Errorf("worker %d: Get shared = %#v, never written", w, got)
		}
		if _, err := backends.Has(c, st, shared); err != nil {
			return fmt.Errorf("worker %d: Has: %w", w, err)
		}
		if _, _, err := backends.GetMany(c, st, []string{own, shared}); err != nil {
			return fmt.Errorf("worker %d: GetMany: %w", w, err)
		}
		if i%4 == 3 {
			if err := st.Delete(c, shared); err != nil {
				return fmt.Errorf("worker %d: Delete: %w", w, err)
			}
		}
	}
	return nil
}

// ttlOK reports whether ttl, read from a hit, is the time left of an entry
// written with want (0: no expiry) by a call that started at written:
// exactly 0 for want 0, and otherwise no more than want and no less than
// want less the time since written and the slack (the backend's
// precision: memcached's clock ticks once a second); TTLUnknown for every
// hit of a backend that cannot say.
func (s *suite) ttlOK(ttl, want time.Duration, written time.Time) bool {
	if s.o.UnknownTTL {
		return ttl == backends.TTLUnknown
	}
	if want == 0 {
		return ttl == 0
	}
	slack := s.o.wait() - s.o.ttl()
	return ttl > 0 && ttl <= want && ttl > want-time.Since(written)-slack
}

// wantTTL checks GetWithTTL(key), through the helper (native where the
// backend has it): present with value want and a time left close to ttl, or
// a miss with ttl 0. written is when the write of key started.
func (s *suite) wantTTL(t *testing.T, st backends.Storage, key string, present bool, want any, ttl time.Duration, written time.Time) {
	t.Helper()
	got, left, found, err := backends.GetWithTTL(ctx(t), st, key)
	must(t, err, "GetWithTTL "+key)
	if s.o.StoresNothing {
		present = false
	}
	if found != present {
		t.Fatalf("GetWithTTL %q: found = %v, want %v (value %#v, ttl %v)", key, found, present, got, left)
	}
	if !present {
		if got != nil || left != 0 {
			t.Fatalf("GetWithTTL %q: a miss returned value %#v and ttl %v, want nil and 0", key, got, left)
		}
		return
	}
	if !equal(got, want) {
		t.Fatalf("GetWithTTL %q = %#v, want %#v", key, short(got), short(want))
	}
	if !s.ttlOK(left, ttl, written) {
		t.Fatalf("GetWithTTL %q of an entry written with ttl %v: ttl %v (unknown TTL expected: %v)", key, ttl, left, s.o.UnknownTTL)
	}
}

// ttlRead checks GetWithTTL and GetManyWithTTL: an entry with an expiry
// reads the time it has left, close to the ttl written; one without reads
// 0; Touch changes what is read; a miss is found=false with ttl 0; and the
// bulk form agrees with the single one, repeated keys included.
func (s *suite) ttlRead(t *testing.T) {
	st := s.new(t)
	long := time.Hour
	withTTL, noTTL, absent := s.key(t, "ttl"), s.key(t, "none"), s.key(t, "absent")
	if s.o.NoExpiry {
		long = 0
	}
	written := time.Now()
	must(t, st.Set(ctx(t), withTTL, val(st, 1), long), "Set with ttl")
	must(t, st.Set(ctx(t), noTTL, val(st, 2), 0), "Set without ttl")
	s.wantTTL(t, st, withTTL, true, val(st, 1), long, written)
	s.wantTTL(t, st, noTTL, true, val(st, 2), 0, written)
	s.wantTTL(t, st, absent, false, nil, 0, written)

	keys := []string{withTTL, noTTL, absent, withTTL}
	wantTTLs := []time.Duration{long, 0, 0, long}
	wantVals := []any{val(st, 1), val(st, 2), nil, val(st, 1)}
	values, ttls, found, err := backends.GetManyWithTTL(ctx(t), st, keys)
	must(t, err, "GetManyWithTTL")
	if len(values) != len(keys) || len(ttls) != len(keys) || len(found) != len(keys) {
		t.Fatalf("GetManyWithTTL of %d keys: %d values, %d ttls, %d found", len(keys), len(values), len(ttls), len(found))
	}
	for i, k := range keys {
		present := wantVals[i] != nil && !s.o.StoresNothing
		if found[i] != present {
			t.Fatalf("GetManyWithTTL %q: found = %v, want %v", k, found[i], present)
		}
		if !present {
			if values[i] != nil || ttls[i] != 0 {
				t.Fatalf("GetManyWithTTL %q: a miss returned value %#v and ttl %v", k, values[i], ttls[i])
			}
			continue
		}
		if !equal(values[i], wantVals[i]) || !s.ttlOK(ttls[i], wantTTLs[i], written) {
			t.Fatalf("GetManyWithTTL %q = %#v, ttl %v; want %#v, ttl close to %v", k, short(values[i]), ttls[i], short(wantVals[i]), wantTTLs[i])
		}
	}
	if s.o.NoTouch || s.o.NoExpiry {
		return
	}
	// Touch swaps the two: the persistent entry gets an expiry, the other
	// loses its own.
	touched := time.Now()
	must(t, backends.Touch(ctx(t), st, noTTL, long), "Touch with ttl")
	must(t, backends.Touch(ctx(t), st, withTTL, 0), "Touch 0")
	s.wantTTL(t, st, noTTL, true, val(st, 2), long, touched)
	s.wantTTL(t, st, withTTL, true, val(st, 1), 0, touched)
	_, ttls, found, err = backends.GetManyWithTTL(ctx(t), st, []string{noTTL, withTTL})
	must(t, err, "GetManyWithTTL after Touch")
	if found[0] != !s.o.StoresNothing || found[0] && (!s.ttlOK(ttls[0], long, touched) || !s.ttlOK(ttls[1], 0, touched)) {
		t.Fatalf("GetManyWithTTL after Touch: found %v, ttls %v; want ttls close to [%v 0]", found, ttls, long)
	}
}
