//go:build !race

// Under -race, sync.Pool drops a share of what is put back (by design, to
// shake out code that assumes a pooled value survives), so the pooled
// reader and decoder are rebuilt now and then and their allocations show
// up. The pin runs without -race only (a failed CI run measured 2).

package msgpackcoder_test

import (
	"testing"

	"github.com/ringcache/ring/coders/msgpackcoder"
)

// TestDecodeAllocs pins the allocations of decoding a small struct: its
// string field only (the reader and the decoder are pooled).
func TestDecodeAllocs(t *testing.T) {
	type small struct {
		Item  string  `msgpack:"item"`
		Qty   int     `msgpack:"qty"`
		Price float64 `msgpack:"price"`
	}
	c := msgpackcoder.Coder{}
	data, err := c.Encode(small{Item: "apple", Qty: 3, Price: 1.5})
	if err != nil {
		t.Fatal(err)
	}
	var out small
	allocs := testing.AllocsPerRun(200, func() {
		if err := c.Decode(data, &out); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("Decode of a small struct: %v allocations, want at most 1 (its string)", allocs)
	}
}
