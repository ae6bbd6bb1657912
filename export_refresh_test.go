package ring

// WaitRefreshesForTest waits until the refresh goroutines (RefreshAhead)
// of the ring whose Cache is c have ended.
func WaitRefreshesForTest[V any](c *Cache[V]) {
	if c.ahead != nil {
		c.ahead.running.Wait()
	}
}
