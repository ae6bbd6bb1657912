package coders

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine running: the
// compression layers promise to start none.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Named types for the bytes and string coders.
type (
	blob  []byte
	label string
)
