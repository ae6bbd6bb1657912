package backends

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// TestConcurrentShardLayout pins what keeps a write of a shard from taking
// away the cache line its reads load (cshard): between the table and the
// fields the writes change, and between those and the next shard's table,
// a line's worth of bytes, so that no line holds both wherever the array
// starts.
func TestConcurrentShardLayout(t *testing.T) {
	var sh cshard[string]
	tableEnd := unsafe.Offsetof(sh.table) + unsafe.Sizeof(sh.table)
	writes := map[string][2]uintptr{
		"mu":        {unsafe.Offsetof(sh.mu), unsafe.Sizeof(sh.mu)},
		"n":         {unsafe.Offsetof(sh.n), unsafe.Sizeof(sh.n)},
		"limit":     {unsafe.Offsetof(sh.limit), unsafe.Sizeof(sh.limit)},
		"hand":      {unsafe.Offsetof(sh.hand), unsafe.Sizeof(sh.hand)},
		"evictions": {unsafe.Offsetof(sh.evictions), unsafe.Sizeof(sh.evictions)},
	}
	nextTable := unsafe.Sizeof(sh) + unsafe.Offsetof(sh.table)
	for name, f := range writes {
		// Bytes x < y share no line when y - x >= cacheLine.
		if first := f[0]; first-(tableEnd-1) < cacheLine {
			t.Errorf("%s starts at %d, within a line of the table's last byte at %d", name, first, tableEnd-1)
		}
		if last := f[0] + f[1] - 1; nextTable-last < cacheLine {
			t.Errorf("%s ends at %d, within a line of the next shard's table at %d", name, last, nextTable)
		}
	}
}

// TestConcurrentSweepReadsClockOnce: a write to a full shard whose
// buckets hold entries with an expiry, expired or not, reads a WithClock
// clock twice at most (its own expiry, and one reading for the sweep),
// and the store stays bounded.
func TestConcurrentSweepReadsClockOnce(t *testing.T) {
	var reads atomic.Int64
	var clock atomic.Int64
	now := func() time.Time { reads.Add(1); return time.Unix(0, clock.Load()) }
	const size = 64
	c, err := NewConcurrent[int](size, WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	for i := range size {
		ttl := time.Hour
		if i%2 == 0 {
			ttl = time.Second
		}
		if err := c.Store("k"+strconv.Itoa(i), i, ttl); err != nil {
			t.Fatal(err)
		}
	}
	clock.Add(int64(time.Minute)) // half the entries expired
	for i := range 4 * size {
		reads.Store(0)
		if err := c.Store("new"+strconv.Itoa(i), i, time.Hour); err != nil {
			t.Fatal(err)
		}
		if n := reads.Load(); n > 2 {
			t.Fatalf("write %d read the clock %d times, want 2 at most", i, n)
		}
	}
	if n := c.Len(); n > size {
		t.Fatalf("Len() = %d, more than the size %d", n, size)
	}
}
