package msgpackcoder_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/ringcache/ring/coders/msgpackcoder"
)

type pooled struct {
	N    int               `msgpack:"n"`
	S    string            `msgpack:"s"`
	M    map[string]string `msgpack:"m"`
	List []int             `msgpack:"l"`
}

// TestDecodePooledConcurrent: goroutines decoding different values at
// once through the pooled decoders each get their own value back, and a
// value decoded after a failed decode is intact (run with -race).
func TestDecodePooledConcurrent(t *testing.T) {
	c := msgpackcoder.Coder{}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				want := pooled{N: g*1000 + i, S: fmt.Sprint(g, "-", i), M: map[string]string{"k": fmt.Sprint(i)}, List: make([]int, i%7)}
				data, err := c.Encode(want)
				if err != nil {
					t.Error(err)
					return
				}
				if i%10 == 0 { // a failing decode in between
					var bad pooled
					if err := c.Decode(data[:len(data)-1], &bad); err == nil {
						t.Error("a truncated value decoded")
					}
				}
				var got pooled
				if err := c.Decode(data, &got); err != nil {
					t.Error(err)
					return
				}
				if got.N != want.N || got.S != want.S || got.M["k"] != want.M["k"] || len(got.List) != len(want.List) {
					t.Errorf("decoded %+v, want %+v", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
