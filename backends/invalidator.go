package backends

// Invalidator is implemented by shared backends whose server tells a client
// when another writer changes a key, so that a copy of the key's value kept
// in process (ring's Near tier) can be dropped at once. The Redis backend
// implements it with Redis's client tracking (CLIENT TRACKING ... BCAST
// PREFIX), on every master of a cluster.
//
// Track calls fn for every change of a key that starts with prefix (an
// empty prefix: every key), made by any client, this process's included.
// keys nil means that any key may have changed: the tier must drop
// everything. live reports whether changes are being delivered: it is
// false while the connection that receives them is down (changes made
// meanwhile are lost, so a tier must not keep what it reads then), and the
// call that reports live true again (keys nil) comes after the connection
// is back, so a tier flushed at that call misses no change. fn is called
// from one goroutine at a time, in the order the changes were received; it
// must return quickly and must not call back into the backend.
//
// The first call of fn, with keys nil and live true, comes once
// invalidations are being delivered; until then a tier must consider them
// not live. stop ends the subscription: after it returns fn is not called
// again. Closing the backend stops every subscription.
type Invalidator interface {
	Track(prefix string, fn func(keys []string, live bool)) (stop func(), err error)
}
