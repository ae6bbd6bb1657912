package backends_test

import (
	"fmt"
	"time"

	"github.com/ringcache/ring/backends"
)

// ExampleClockBefore checks deadlines the way Concurrent's reads do: a
// deadline a minute ahead is judged by the coarse reading alone, one
// already reached by the exact clock.
func ExampleClockBefore() {
	deadline := backends.ClockNow() + int64(time.Minute)
	fmt.Println(backends.ClockBefore(deadline))
	fmt.Println(backends.ClockBefore(backends.ClockNow()))
	// Output:
	// true
	// false
}
