package ring_test

import (
	"testing"

	"github.com/ringcache/ring"
)

// BenchmarkLRUBulk is the bulk comparison of BenchmarkRedis and
// BenchmarkMemcache on the in-process LRU: 100 sequential Calls against
// Many().Get and Many().GetOrUpdate of the same 100 keys, all hits. It
// needs no server; docs/benchmarks.md charts it beside the remote ones
// (scripts/charts.sh data).
func BenchmarkLRUBulk(b *testing.B) {
	r := ring.Must(ring.Func1(word, ring.LRU(4*bulkN), ring.KeyPrefix("bench:"+runID)))
	remoteBulk(b, r)
}
