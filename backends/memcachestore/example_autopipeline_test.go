package memcachestore_test

import (
	"fmt"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/ringcache/ring/backends/memcachestore"
)

// With the selector, concurrent Gets are combined by default; AutoPipeline
// (false) gives each Get a get of its own. Making the Store connects to
// nothing.
func ExampleAutoPipeline() {
	ss, err := memcachestore.NewServers("localhost:11211")
	if err != nil {
		panic(err)
	}
	client := memcache.NewFromSelector(ss)
	combined := memcachestore.New(client, memcachestore.WithSelector(ss))
	alone := memcachestore.New(client, memcachestore.WithSelector(ss), memcachestore.AutoPipeline(false))
	noSelector := memcachestore.New(client)

	fmt.Println(combined.AutoPipelined(), alone.AutoPipelined(), noSelector.AutoPipelined())
	fmt.Println(memcachestore.AutoPipeline(false))
	// Output:
	// true false false
	// memcachestore.AutoPipeline(false)
}
