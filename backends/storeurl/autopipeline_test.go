package storeurl

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// TestOpenAutoPipeline: ?autopipeline=true makes every Redis scheme's
// Store autopipelined; false and no parameter leave it off; another value
// is an error naming it; the Store works against a real node and cluster.
func TestOpenAutoPipeline(t *testing.T) {
	store := func(s backends.Storage) *redisstore.Store {
		t.Helper()
		r, ok := backends.Unwrap(s).(*redisstore.Store)
		if !ok {
			t.Fatalf("Open made a %T, want *redisstore.Store", backends.Unwrap(s))
		}
		return r
	}
	for _, base := range []string{"redis://h:6379", "rediss://h:6379", "redis+unix:///tmp/r.sock",
		"redis+cluster://h1:7000,h2:7001", "redis+sentinel://h:26379/mymaster"} {
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		for q, want := range map[string]bool{"": false, "autopipeline=false": false, "autopipeline=true": true, "autopipeline=1": true} {
			raw := base
			if q != "" {
				raw += sep + q
			}
			if got := store(openOK(t, raw)).AutoPipelined(); got != want {
				t.Errorf("Open(%q): AutoPipelined() = %v, want %v", raw, got, want)
			}
		}
		_, err := Open(base + sep + "autopipeline=maybe")
		if err == nil || !strings.Contains(err.Error(), `parameter autopipeline: "maybe" is not true or false`) {
			t.Errorf("Open(%q): %v, want the bad value named", base+sep+"autopipeline=maybe", err)
		}
	}
	if _, err := Open("memcache://h:11211?autopipeline=true"); err == nil || !strings.Contains(err.Error(), "unknown parameter autopipeline") {
		t.Errorf("memcache:// with autopipeline: %v, want an unknown parameter", err)
	}

	redisAddr := servertest.RedisAddr(t)
	cluster := servertest.RedisClusterAddrs(t)
	for _, raw := range []string{"redis://" + redisAddr + "?autopipeline=true",
		"redis+cluster://" + strings.Join(cluster, ",") + "?autopipeline=true"} {
		s := openOK(t, raw)
		if !store(s).AutoPipelined() {
			t.Fatalf("Open(%q) is not autopipelined", raw)
		}
		ctx := context.Background()
		key := fmt.Sprintf("storeurl-ap-%d", time.Now().UnixNano())
		if err := s.Set(ctx, key, []byte("v"), time.Minute); err != nil {
			t.Fatalf("%s: Set: %v", raw, err)
		}
		v, ok, err := s.Get(ctx, key)
		if err != nil || !ok || string(v.([]byte)) != "v" {
			t.Fatalf("%s: Get = %v, %v, %v", raw, v, ok, err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("%s: Delete: %v", raw, err)
		}
	}
}
