package ring

import (
	"fmt"
	"testing"
	"time"

	"github.com/ringcache/ring/backends"
)

// TestNearHashCollisionsNeverMixValues: the short hash (two multiplies) is
// symmetric in a 16-byte key's two halves when the tier's second and third
// keys are equal, so with them forced equal every key and its halves
// swapped hash alike: full 64-bit collisions, not just a shared bucket.
// Each key still gets its own value; an invalidation of one leaves its
// twin; a filled twin does not take the other's reservation.
func TestNearHashCollisionsNeverMixValues(t *testing.T) {
	n := newNearTier[string](1024, time.Minute, nil)
	n.hasher.k2 = n.hasher.k1
	var keys []string
	for i := range 64 {
		a, b := fmt.Sprintf("a%07d", i), fmt.Sprintf("b%07d", i)
		k1, k2 := a+b, b+a
		if n.hasher.hash(k1) != n.hasher.hash(k2) {
			t.Fatalf("%q and %q do not collide: the test no longer forces collisions", k1, k2)
		}
		keys = append(keys, k1, k2)
	}
	for _, k := range keys {
		tok, start := n.reserve(k)
		if tok == 0 {
			t.Fatalf("no reservation for %q", k)
		}
		n.fill(k, tok, start, "v:"+k, backends.TTLUnknown)
	}
	for _, k := range keys {
		if v, ok := n.get(k); !ok || v != "v:"+k {
			t.Fatalf("get(%q) = %q, %v; want its own value", k, v, ok)
		}
	}
	// Invalidate the first of each pair: the twin stays, with its value.
	for i := 0; i < len(keys); i += 2 {
		n.Wrote(keys[i])
	}
	for i, k := range keys {
		v, ok := n.get(k)
		if i%2 == 0 && ok {
			t.Fatalf("get(%q) = %q after its invalidation", k, v)
		}
		if i%2 == 1 && (!ok || v != "v:"+k) {
			t.Fatalf("get(%q) = %q, %v after its twin's invalidation; want its own value", k, v, ok)
		}
	}
	// A reservation of one twin filled with the other's token keeps nothing.
	k1, k2 := keys[0], keys[1]
	tok1, start1 := n.reserve(k1)
	n.Wrote(k2) // the twin's copy goes; k1's reservation stays
	tok2, start2 := n.reserve(k2)
	n.fill(k1, tok2, start2, "wrong", backends.TTLUnknown)
	if v, ok := n.get(k1); ok {
		t.Fatalf("get(%q) = %q: filled with its twin's token", k1, v)
	}
	n.fill(k1, tok1, start1, "right", backends.TTLUnknown)
	if v, ok := n.get(k1); !ok || v != "right" {
		t.Fatalf("get(%q) = %q, %v; want \"right\"", k1, v, ok)
	}
	if v, ok := n.get(k2); ok {
		t.Fatalf("get(%q) = %q: its reservation was never filled", k2, v)
	}
}
