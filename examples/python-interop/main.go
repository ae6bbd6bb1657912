// Command python-interop shares one Redis cache between a Go ring and a
// Python Ring service: the Go ring builds its keys as Python Ring 0.10.1
// does (ring.PythonKeys) and stores values as Python Ring's json coder
// does (the "pyjson" coder), so each side reads what the other wrote.
//
// The Python side is this function, in module shop.prices:
//
//	import redis, ring
//
//	client = redis.Redis(host="127.0.0.1", port=6379)
//
//	@ring.redis(client, key_prefix="shop.prices", coder="json", expire=60)
//	def price(sku: str, qty: int) -> dict:
//	    return {"sku": sku, "qty": qty, "name": ..., "ratio": ..., "tags": [...]}
//
// price("apple", 3) stores under the key "shop.prices:apple:3" the bytes of
// json.dumps(value).encode(), with SET ... EX 60. The example writes such
// an entry as Python Ring does (the bytes are those Python Ring 0.10.1
// stored, from testdata/python-ring-0.10.1.json) and reads it through the
// Go ring, then lets the Go ring fill an entry and shows the bytes the
// Python function reads.
//
// It needs a Redis server: set RING_REDIS_ADDR (scripts/test.sh starts one
// on 127.0.0.1:16379 and sets it), for example
//
//	RING_REDIS_ADDR=127.0.0.1:6379 go run ./examples/python-interop
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
	_ "github.com/ringcache/ring/coders/pyjson" // registers "pyjson"
)

// Price is the Python function's dict. The struct's field order is the
// dict's key order, so Go writes the bytes Python writes.
type Price struct {
	SKU   string   `json:"sku"`
	Qty   int      `json:"qty"`
	Name  string   `json:"name"`
	Ratio float64  `json:"ratio"`
	Tags  []string `json:"tags"`
}

var runs int

// price is the Go port of the Python function; both fill the same cache.
func price(ctx context.Context, sku string, qty int) (Price, error) {
	runs++
	return Price{SKU: sku, Qty: qty, Name: "poire", Ratio: 1, Tags: []string{}}, nil
}

// pythonBytes is what Python Ring 0.10.1 stored for the dict
// {"sku": "apple", "qty": 3, "name": "café", "ratio": 0.5, "tags": ["a", "b"]}.
const pythonBytes = `{"sku": "apple", "qty": 3, "name": "caf\u00e9", "ratio": 0.5, "tags": ["a", "b"]}`

func main() {
	if err := run(os.Stdout, os.Getenv("RING_REDIS_ADDR")); err != nil {
		fmt.Fprintln(os.Stderr, "python-interop example:", err)
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

	prices, err := ring.Func2(price,
		ring.Storage(redisstore.New(rdb)),
		ring.PythonKeys(), ring.KeyPrefix("shop.prices"), // Python's key_prefix
		ring.Coder("pyjson"),     // Python Ring's coder="json"
		ring.Expire(time.Minute)) // Python's expire=60: SET ... EX 60
	if err != nil {
		return err
	}
	if err := rdb.Del(ctx, "shop.prices:apple:3", "shop.prices:pear:2").Err(); err != nil { // a clean start
		return err
	}

	// 1. The Python service cached price("apple", 3).
	if err := rdb.Set(ctx, "shop.prices:apple:3", pythonBytes, time.Minute).Err(); err != nil {
		return err
	}
	key, err := prices.Key("apple", 3)
	if err != nil {
		return err
	}
	p, err := prices.Call(ctx, "apple", 3)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "key: %s\n", key)
	fmt.Fprintf(w, "Go read Python's entry: %+v (the Go function ran %d times)\n", p, runs)

	// 2. The Go ring fills price("pear", 2); the Python service reads it.
	if _, err := prices.Call(ctx, "pear", 2); err != nil {
		return err
	}
	raw, err := rdb.Get(ctx, "shop.prices:pear:2").Result()
	if err != nil {
		return err
	}
	ttl, err := rdb.TTL(ctx, "shop.prices:pear:2").Result()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Go wrote for Python: %s\n", raw)
	fmt.Fprintf(w, "expiry set: %v\n", ttl > 0 && ttl <= time.Minute)

	// 3. What Python's key looks like for other argument types.
	tags, err := ring.Func1(func(context.Context, []string) (int, error) { return 0, nil },
		ring.Storage(redisstore.New(rdb)), ring.PythonKeys(), ring.KeyPrefix("shop.by_tags"), ring.Coder("pyjson"))
	if err != nil {
		return err
	}
	k, err := tags.Key([]string{"tea", "green tea"})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "key of by_tags(['tea', 'green tea']): %s\n", k)
	return nil
}
