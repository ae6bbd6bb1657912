package ring

// WaitRefreshesForTest waits until the refresh goroutines (RefreshAhead)
// of the ring whose Cache is c have ended.
func WaitRefreshesForTest[V any](c *Cache[V]) {
	if c.bg != nil {
		c.bg.running.Wait()
	}
}

// The defaults the docs state, for the external tests.
const (
	DefaultStorageTimeout  = defaultStorageTimeout
	DefaultBreakerFailures = defaultBreakerFailures
	DefaultBreakerCoolDown = defaultBreakerCoolDown
	DefaultBulkConcurrency = defaultBulkConcurrency
)
