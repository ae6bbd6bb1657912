package ringotel

import (
	"testing"

	"github.com/ringcache/ring/observe"
)

// TestRingsByInfoBound: Infos equal in value share their series, however
// many pointers carry them, and the pointer map stops growing at its
// bound (a program that builds rings without end keeps none alive).
func TestRingsByInfoBound(t *testing.T) {
	r := newRingsByInfo()
	first := map[string]*ringAttrs{}
	for i := range maxPointers + 1000 {
		info := &observe.Info{Ring: []string{"a", "b"}[i%2], Backend: "lru", Tier: observe.TierLocal}
		a := r.get(info)
		if r.get(info) != a {
			t.Fatalf("Info %d: a second lookup found other series", i)
		}
		if f, ok := first[info.Ring]; ok && f != a {
			t.Fatalf("Info %d (%s): other series than the first Info of that value", i, info.Ring)
		}
		first[info.Ring] = a
	}
	if n := len(*r.byPtr.m.Load()); n > maxPointers {
		t.Errorf("%d pointers kept, want at most %d", n, maxPointers)
	}
	if n := len(r.all()); n != 2 {
		t.Errorf("%d rings, want 2", n)
	}
}
