package ring

import (
	"testing"
	"unsafe"

	"github.com/ringcache/ring/internal/flight"
)

// TestFillingSize pins the size of a miss's one allocation of its own (the
// fill with its flight.Run, miss.go): every byte of it is allocated,
// written and scanned by the GC once per miss, so that a field added to
// either must be paid for consciously. 160 bytes is a size class of the
// Go allocator; the key tuple of a two-argument function is 24 bytes.
func TestFillingSize(t *testing.T) {
	if got := unsafe.Sizeof(flight.Run{}); got > 104 {
		t.Errorf("a flight.Run is %d bytes, want at most 104", got)
	}
	if got := unsafe.Sizeof(filling[Args3[struct{}, string, int], string]{}); got > 160 {
		t.Errorf("the fill of a two-argument function is %d bytes, want at most 160", got)
	}
}
