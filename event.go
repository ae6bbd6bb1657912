package ring

import "fmt"

// Event is what the OnError hook receives: a storage failure that a Call
// absorbed (fail-open), a stored value that no longer decodes, or a state
// change of the storage's circuit breaker.
type Event struct {
	// Ring is the ring's name (its definition name), or "cache <prefix>"
	// for a Cache from NewCache.
	Ring string
	// Op is the operation: "get", "set", "decode", "encode", ...
	Op string
	// Key is the backend key involved.
	Key string
	// Err is the error.
	Err error
}

// Error formats the event.
func (e Event) Error() string {
	return fmt.Sprintf("ring: %s: %s %q: %v", e.Ring, e.Op, e.Key, e.Err)
}

// Unwrap returns e.Err.
func (e Event) Unwrap() error { return e.Err }
