package ring

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
)

type frontPoint struct {
	X, Y float64
	On   bool
}

type frontNamed string

type frontKeyed int

func (frontKeyed) RingKey() string { return "k" }

// TestNearFrontShapes: which tuples get a typed front, decided by
// reflection at construction.
func TestNearFrontShapes(t *testing.T) {
	for name, got := range map[string]bool{
		"int":           newNearFront[int, string](8) != nil,
		"Args2 int":     newNearFront[Args2[struct{}, int], string](8) != nil,
		"string":        newNearFront[Args2[struct{}, string], string](8) != nil,
		"named string":  newNearFront[frontNamed, string](8) != nil,
		"struct":        newNearFront[Args3[struct{}, frontPoint, [3]int8], string](8) != nil,
		"two strings":   newNearFront[Args3[struct{}, string, string], string](8) == nil,
		"string+int":    newNearFront[Args3[struct{}, string, int], string](8) == nil,
		"pointer":       newNearFront[Args2[*int, int], string](8) == nil,
		"interface":     newNearFront[any, string](8) == nil,
		"slice":         newNearFront[[]byte, string](8) == nil,
		"RingKey":       newNearFront[frontKeyed, string](8) == nil,
		"time.Duration": newNearFront[time.Duration, string](8) == nil,
		"uintptr":       newNearFront[uintptr, string](8) == nil,
	} {
		if !got {
			t.Errorf("%s: wrong front decision", name)
		}
	}
	f := newNearFront[Args2[struct{}, int], string](8)
	require.True(t, f.word, "an int tuple is compared as one word")
	s := newNearFront[Args3[struct{}, struct{}, string], string](8)
	require.True(t, s.str)
}

// frontSetup is a tier and its front for one-int tuples, keyed as Func1's
// int (its digits).
func frontSetup(size int) (*nearTier[string], *nearFront[Args2[struct{}, int], string]) {
	return newNearTier[string](size, time.Minute, nil), newNearFront[Args2[struct{}, int], string](size)
}

// frontKeep fills the tier with i's copy and gives the front its node.
func frontKeep(t *testing.T, n *nearTier[string], f *nearFront[Args2[struct{}, int], string], i int, v string) {
	t.Helper()
	k := fmt.Sprint(i)
	tok, start := n.reserve(k)
	require.NotZero(t, tok)
	n.fill(k, tok, start, v, backends.TTLUnknown)
	node := n.getNode(k)
	require.NotNil(t, node)
	f.put(&Args2[struct{}, int]{P2: i}, node)
}

func frontGet(f *nearFront[Args2[struct{}, int], string], i int) (string, bool) {
	return f.get(&Args2[struct{}, int]{P2: i})
}

// TestNearFrontFollowsTier: every way a copy leaves the tier (an own
// write or invalidation, a new reservation, a flush, a grown table, an
// eviction, expiry) ends its front hit: the tier alone judges.
func TestNearFrontFollowsTier(t *testing.T) {
	n, f := frontSetup(1024)
	for i := range 4 {
		frontKeep(t, n, f, i, fmt.Sprint("v", i))
		v, ok := frontGet(f, i)
		require.True(t, ok)
		require.Equal(t, fmt.Sprint("v", i), v)
	}
	n.Wrote("0")
	_, ok := frontGet(f, 0)
	require.False(t, ok, "after Wrote")
	n.reserve("1")
	_, ok = frontGet(f, 1)
	require.False(t, ok, "after a reservation")
	n.invalidated([]string{"2"}, true)
	_, ok = frontGet(f, 2)
	require.False(t, ok, "after an invalidation")
	_, ok = frontGet(f, 3)
	require.True(t, ok, "an untouched copy")
	n.WroteAll()
	_, ok = frontGet(f, 3)
	require.False(t, ok, "after a flush")
	n.invalidated(nil, true) // a reconnect's flush
	frontKeep(t, n, f, 5, "v5")
	n.invalidated(nil, true)
	_, ok = frontGet(f, 5)
	require.False(t, ok, "after the storage's flush")

	// A table that grows copies its nodes: the front's old node dies, and
	// the copy is found through the tier again.
	n, f = frontSetup(4096) // 64 shards of 64 entries, tables of 16 buckets first
	frontKeep(t, n, f, 7, "v7")
	for i := 100; i < 3000; i++ {
		tok, start := n.reserve(fmt.Sprint(i))
		n.fill(fmt.Sprint(i), tok, start, "x", backends.TTLUnknown)
	}
	_, ok = frontGet(f, 7)
	require.False(t, ok, "after the table grew")
	v, ok := n.getLocal("7")
	require.True(t, ok)
	require.Equal(t, "v7", v)

	// Eviction: a tier of 16 entries takes 64; the evicted never hit.
	n, f = frontSetup(16)
	for i := range 64 {
		frontKeep(t, n, f, i, fmt.Sprint("v", i))
	}
	for i := range 64 {
		_, inTier := n.getLocal(fmt.Sprint(i))
		if v, ok := frontGet(f, i); ok {
			require.True(t, inTier, "front hit of %d, evicted from the tier", i)
			require.Equal(t, fmt.Sprint("v", i), v)
		}
	}

	// Expiry: a copy past its life is no hit.
	n, f = frontSetup(16)
	tok, start := n.reserve("9")
	n.fill("9", tok, start, "v9", time.Millisecond)
	if node := n.getNode("9"); node != nil {
		f.put(&Args2[struct{}, int]{P2: 9}, node)
	}
	time.Sleep(60 * time.Millisecond) // past the coarse clock's margin
	_, ok = frontGet(f, 9)
	require.False(t, ok, "after expiry")
}

// TestNearFrontBounded: the front never holds more entries than its
// slots, a power of two of at most twice the tier's size, so it keeps at
// most that many dead nodes reachable; its collisions (every key in one
// pair of slots) never return another key's value.
func TestNearFrontBounded(t *testing.T) {
	n, f := frontSetup(100)
	require.LessOrEqual(t, len(f.slots), 2*100)
	for i := range 10000 {
		frontKeep(t, n, f, i, fmt.Sprint("v", i))
		n.Wrote(fmt.Sprint(i)) // dead, reachable only from the front
	}
	require.LessOrEqual(t, f.len(), len(f.slots))

	n, f = frontSetup(1) // two slots: every tuple collides
	require.Len(t, f.slots, 2)
	for round := range 3 {
		for i := range 50 {
			frontKeep(t, n, f, i, fmt.Sprint("v", i, ":", round))
			for j := range 50 {
				if v, ok := frontGet(f, j); ok {
					require.Equal(t, fmt.Sprint("v", j, ":", round), v, "tuple %d read after %d", j, i)
				}
			}
			n.Wrote(fmt.Sprint(i))
		}
	}
	require.LessOrEqual(t, f.len(), 2)
}
