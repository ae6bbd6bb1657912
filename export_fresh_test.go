package ring

import "time"

// SetXFetchForTest gives the XFetch policy of the ring whose Cache is c
// the source of U's complement (u, uniform in [0, 1)) and, when delta is
// positive, the function's mean execution time. Call it before the ring
// is used.
func SetXFetchForTest[V any](c *Cache[V], u func() float64, delta time.Duration) {
	if u != nil {
		c.ahead.xf.u = u
	}
	if delta > 0 {
		c.ahead.xf.delta.Store(int64(delta))
	}
}

// XFetchDeltaForTest returns the XFetch policy's measure of the function's
// execution time.
func XFetchDeltaForTest[V any](c *Cache[V]) time.Duration {
	return time.Duration(c.ahead.xf.delta.Load())
}
