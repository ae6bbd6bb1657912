// Command config builds its caches from URLs, so that one configuration
// string per cache chooses the backend and the coder: the way a service
// reads its cache setup from the environment.
//
//	go run ./examples/config
//	CACHE_URL=redis://127.0.0.1:6379/0 CODER_URL='json+zstd://?level=3' go run ./examples/config
//
// CACHE_URL defaults to the in-process memory://?size=1024 and CODER_URL to
// msgpack+s2://, so the example runs with no server. msgpack and the
// compression layers are in packages of their own, imported below for their
// names.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/storeurl"

	// Coder URLs may name msgpack and the zstd, s2 and gzip layers: link them.
	_ "github.com/ringcache/ring/coders/compression"
	_ "github.com/ringcache/ring/coders/msgpackcoder"
)

// Rate is the cached value.
type Rate struct {
	From, To string
	Value    float64
}

var fetches int

// fetchRate stands for a slow remote call.
func fetchRate(ctx context.Context, from, to string) (Rate, error) {
	fetches++
	return Rate{From: from, To: to, Value: float64(len(from)*10+len(to)) / 10}, nil
}

func main() {
	cacheURL := envOr("CACHE_URL", "memory://?size=1024")
	coderURL := envOr("CODER_URL", "msgpack+s2://")
	if err := run(os.Stdout, cacheURL, coderURL); err != nil {
		fmt.Fprintln(os.Stderr, "config example:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(w io.Writer, cacheURL, coderURL string) error {
	ctx := context.Background()
	// One backend for the whole program, chosen by its URL; close it at the
	// end (it owns its client).
	store, err := storeurl.Open(cacheURL)
	if err != nil {
		return err
	}
	if c, ok := store.(backends.Closer); ok {
		defer c.Close()
	}
	fmt.Fprintf(w, "backend: %s (stores bytes: %v)\n", store.Name(), store.Bytes())

	// A preset: the project's cache policy, defined once from configuration.
	policy := ring.Preset(ring.Storage(store), ring.Coder(coderURL), ring.Expire(time.Minute))
	fmt.Fprintf(w, "policy: %s\n", strings.ReplaceAll(policy.String(), cacheURL, "$CACHE_URL"))

	rates, err := ring.Func2(fetchRate, policy, ring.KeyPrefix("example:config:rate"))
	if err != nil {
		return err
	}
	if err := rates.Delete(ctx, "EUR", "USD"); err != nil { // a clean start
		return err
	}
	for range 2 {
		r, err := rates.Call(ctx, "EUR", "USD")
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "rate: %+v\n", r)
	}
	fmt.Fprintf(w, "fetches: %d\n", fetches)

	// The typed low-level cache on the same backend and coder.
	counts, err := ring.NewCache[int](policyFor(store, coderURL), ring.KeyPrefix("example:config:count:"))
	if err != nil {
		return err
	}
	if _, err := counts.Set(ctx, "visits", 41, ring.SetOptions{TTL: time.Minute}); err != nil {
		return err
	}
	written, err := counts.Set(ctx, "visits", 0, ring.SetOptions{IfNotExists: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "set visits if absent: written %v\n", written)
	got, err := counts.GetMany(ctx, "visits", "missing")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "get many: %v\n", got)
	existed, err := counts.Delete(ctx, "visits")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "deleted visits: %v\n", existed)

	// Bad configuration is an error that names what is wrong.
	_, err = storeurl.Open("redis://user:secret@localhost:6379/0?pool=3")
	fmt.Fprintf(w, "bad URL: %v\n", err)
	_, err = ring.Func2(fetchRate, ring.Coder("json+lz4://"), ring.KeyPrefix("x"))
	fmt.Fprintf(w, "bad coder: %v\n", err)
	return nil
}

// policyFor is the storage and coder of the policy, without the ring-only
// options (a Cache takes its time-to-live per Set).
func policyFor(store backends.Storage, coderURL string) ring.Option {
	return ring.Preset(ring.Storage(store), ring.Coder(coderURL))
}
