package backendtest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ring/backends"
)

// lease checks backends.Leaser, on a backend that offers it (it is skipped
// otherwise, and when TakeLease reports backends.ErrNotSupported): one
// holder at a time, on a second instance too (another client); the
// holder's write lands once, only with its token, and frees the lease; a
// Delete of the entry made while the lease is held wins over the holder's
// write; a release frees only its
// own lease; the lease expires by itself; the lease is never seen as an
// entry; a cancelled context fails when the backend honours contexts.
func (s *suite) lease(t *testing.T) {
	a := s.new(t)
	if _, ok := a.(backends.Leaser); !ok {
		t.Skipf("backend %s does not implement backends.Leaser", a.Name())
	}
	b := s.new(t)
	k := s.key(t, "entry")
	t.Cleanup(func() { _ = a.Delete(context.Background(), k) })
	tok, ok, err := backends.TakeLease(ctx(t), a, k, time.Minute)
	if errors.Is(err, backends.ErrNotSupported) {
		t.Skipf("backend %s: %v", a.Name(), err)
	}
	must(t, err, "TakeLease")
	if !ok || tok == "" {
		t.Fatalf("TakeLease of a free lease: %q, %v", tok, ok)
	}
	if _, ok, err := backends.TakeLease(ctx(t), b, k, time.Minute); err != nil || ok {
		t.Fatalf("TakeLease of a held lease: %v, %v; want not taken", ok, err)
	}
	s.wantGet(t, a, k, false, nil) // the lease is not the entry
	if w, err := backends.SetLeased(ctx(t), b, k, tok+"x", val(a, 1), 0); err != nil || w {
		t.Fatalf("SetLeased with a wrong token: %v, %v; want not written", w, err)
	}
	must(t, backends.ReleaseLease(ctx(t), b, k, tok+"x"), "ReleaseLease with a wrong token")
	if _, ok, _ := backends.TakeLease(ctx(t), b, k, time.Minute); ok {
		t.Fatal("a release with a wrong token freed the lease")
	}
	if w, err := backends.SetLeased(ctx(t), a, k, tok, val(a, 1), time.Minute); err != nil || !w {
		t.Fatalf("SetLeased by the holder: %v, %v; want written", w, err)
	}
	s.wantGet(t, b, k, true, val(a, 1))
	if w, _ := backends.SetLeased(ctx(t), a, k, tok, val(a, 2), time.Minute); w {
		t.Fatal("SetLeased wrote twice with one lease")
	}

	// A Delete of the entry made while the lease is held wins.
	tok, ok, err = backends.TakeLease(ctx(t), b, k, time.Minute)
	if err != nil || !ok {
		t.Fatalf("TakeLease after SetLeased freed it: %v, %v", ok, err)
	}
	must(t, a.Delete(ctx(t), k), "Delete")
	if w, _ := backends.SetLeased(ctx(t), b, k, tok, val(a, 5), time.Minute); w {
		t.Fatal("the holder wrote over a Delete")
	}
	s.wantGet(t, a, k, false, nil)

	// A release frees the lease; a lease expires by itself.
	_ = backends.ReleaseLease(ctx(t), b, k, tok)
	tok, ok, _ = backends.TakeLease(ctx(t), a, k, s.o.ttl())
	if !ok {
		t.Fatal("the lease was not free")
	}
	if _, ok, _ := backends.TakeLease(ctx(t), b, k, time.Minute); ok {
		t.Fatal("a lease was free right after it was taken")
	}
	time.Sleep(s.o.wait() + s.o.Slack) // memcached adds a second
	tok2, ok, err := backends.TakeLease(ctx(t), b, k, time.Minute)
	if err != nil || !ok {
		t.Fatalf("a lease of %v still held after %v: %v", s.o.ttl(), s.o.wait()+s.o.Slack, err)
	}
	if w, _ := backends.SetLeased(ctx(t), a, k, tok, val(a, 6), 0); w {
		t.Fatal("an expired holder wrote")
	}
	must(t, backends.ReleaseLease(ctx(t), b, k, tok2), "ReleaseLease")

	if _, _, err := backends.TakeLease(ctx(t), a, k, 0); err == nil || !strings.HasPrefix(err.Error(), "ring: backend "+a.Name()) {
		t.Errorf("TakeLease with ttl 0: error %v", err)
	}
	if s.o.HonoursContext {
		c, cancel := context.WithCancel(context.Background())
		cancel()
		if _, _, err := backends.TakeLease(c, a, k, time.Second); !errors.Is(err, context.Canceled) {
			t.Errorf("TakeLease with a cancelled context: %v", err)
		}
	}
}
