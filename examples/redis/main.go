// Command redis caches a method in Redis and then reads the same entry
// directly with the raw go-redis client and the ring cache's Decode: the "hidden
// backend" problem of cache decorators, solved. The key is readable and the
// value is plain JSON, so a tool in any language can read it too.
//
// It needs a Redis server: set RING_REDIS_ADDR (scripts/test.sh starts one
// on 127.0.0.1:16379 and sets it), for example
//
//	RING_REDIS_ADDR=127.0.0.1:6379 go run ./examples/redis
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
)

// Order is a row of a fake orders table; RingKey keys its cached methods.
type Order struct {
	ID int
}

// RingKey returns the order's ID.
func (o *Order) RingKey() string { return strconv.Itoa(o.ID) }

// Summary is the cached result: stored as JSON in Redis.
type Summary struct {
	Order int      `json:"order"`
	Items []string `json:"items"`
	Total float64  `json:"total"`
}

var queries int

// summary is the expensive method: it counts its runs.
func (o *Order) summary(ctx context.Context, currency string) (Summary, error) {
	queries++
	return Summary{Order: o.ID, Items: []string{"tea", "cups"}, Total: 12.5}, nil
}

func main() {
	if err := run(os.Stdout, os.Getenv("RING_REDIS_ADDR")); err != nil {
		fmt.Fprintln(os.Stderr, "redis example:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, addr string) error {
	if addr == "" {
		return fmt.Errorf("set RING_REDIS_ADDR to a Redis server (scripts/test.sh starts one)")
	}
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()

	summaries, err := ring.Method1((*Order).summary,
		ring.Storage(redisstore.New(rdb)), ring.Coder("json"), ring.Expire(time.Minute),
		ring.KeyPrefix("example:order-summary"))
	if err != nil {
		return err
	}
	order := &Order{ID: 1001}
	wire := summaries.Bind(order)
	if err := wire.Delete(ctx, "EUR"); err != nil { // a clean start
		return err
	}

	for range 2 {
		s, err := wire.Call(ctx, "EUR")
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "Call: %+v\n", s)
	}
	fmt.Fprintf(w, "the method ran %d time(s)\n", queries)

	// The key is the one Redis stores: any client can read it.
	key, err := wire.Key("EUR")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "key: %s\n", key)

	// Straight to the backend: the ring's Cache gives its storage and
	// coder, and Storage().Raw() is the client we passed in.
	cache := summaries.Cache()
	raw := cache.Storage().Raw().(redis.UniversalClient)
	data, err := raw.Get(ctx, key).Bytes()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "raw bytes in Redis: %s\n", data)
	ttl, err := raw.TTL(ctx, key).Result()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "expiry set: %v\n", ttl > 0 && ttl <= time.Minute)

	// Decode turns the raw bytes back into the method's result type.
	decoded, err := cache.Decode(data)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "decoded: %+v\n", decoded)

	// Writing through the raw client is seen by the ring too.
	patched, err := cache.Encode(Summary{Order: 1001, Items: []string{"tea"}, Total: 6})
	if err != nil {
		return err
	}
	if err := raw.Set(ctx, key, patched, time.Minute).Err(); err != nil {
		return err
	}
	s, found, err := wire.Get(ctx, "EUR")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "after a raw write, Get: %+v (found %v)\n", s, found)

	// The typed low-level cache over the ring's entries.
	fmt.Fprintf(w, "cache prefix: %s\n", cache.Prefix())
	existed, err := cache.Delete(ctx, "1001:EUR")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "deleted through the Cache: %v\n", existed)
	_, found, err = wire.Get(ctx, "EUR")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Get after the delete: found %v\n", found)
	return nil
}
