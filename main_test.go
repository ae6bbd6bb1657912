package ring_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine is left behind. The
// only exception is golang-lru's expirable LRU, which the benchmarks compare
// against: it starts a cleanup goroutine that it never stops (v2.0.7).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/hashicorp/golang-lru/v2/expirable.NewLRU[...].func1"))
}
