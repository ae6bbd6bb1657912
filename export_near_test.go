package ring

import (
	"testing"
	"time"
)

// NearLiveForTest reports whether the near tier of c keeps what it reads:
// invalidations are delivered (always true on a storage without them).
func NearLiveForTest[V any](c *Cache[V]) bool { return c.near != nil && c.near.isLive() }

// NearHasForTest reports whether the near tier of c holds a live copy of
// key (a backend key: the prefix applied).
func NearHasForTest[V any](c *Cache[V], key string) bool {
	if c.near == nil {
		return false
	}
	_, ok := c.near.get(key)
	return ok
}

// NearLenForTest returns the copies and reservations of c's near tier.
func NearLenForTest[V any](c *Cache[V]) int { return c.near.len() }

// WaitNearLive waits until c's near tier is live, or fails t after 10s.
func WaitNearLive[V any](t testing.TB, c *Cache[V]) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !NearLiveForTest(c) {
		if time.Now().After(deadline) {
			t.Fatal("near tier not live after 10s: tracking never came up")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
