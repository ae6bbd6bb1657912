package ring_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLRUProgramLinksNoClient builds a program that uses only an LRU ring
// and checks that it links none of the server clients' types. Reflection
// by method name (package descriptor) makes the linker keep every method
// of every reachable type, so one type switch on *redis.ClusterClient in
// code every ring runs (the guard once had one) linked all of go-redis's
// commands: the stripped binary went from 6.0 MB to 16.5 MB.
func TestLRUProgramLinksNoClient(t *testing.T) {
	bin, _ := buildCommand(t, func(string) string {
		return `package main

import (
	"context"
	"fmt"

	"github.com/ringcache/ring"
)

func double(ctx context.Context, n int) (int, error) { return 2 * n, nil }

func main() {
	r := ring.Must(ring.Func1(double, ring.LRU(100), ring.KeyPrefix("double")))
	v, err := r.Call(context.Background(), 21)
	fmt.Println(v, err)
}
`
	})
	out, err := exec.Command(bin).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, "42 <nil>\n", string(out))

	nm, err := exec.Command("go", "tool", "nm", bin).Output()
	require.NoError(t, err)
	for _, client := range []string{
		"github.com/redis/go-redis/v9.cmdable.",          // the commands of every go-redis client
		"github.com/redis/go-redis/v9.(*Client).",        // a node client
		"github.com/redis/go-redis/v9.(*ClusterClient).", // a cluster client
		"github.com/bradfitz/gomemcache/memcache.(*Client).",
	} {
		var hits []string
		for _, line := range strings.Split(string(nm), "\n") {
			if strings.Contains(line, client) {
				hits = append(hits, strings.TrimSpace(line))
			}
		}
		require.Empty(t, hits, "an LRU-only program links %s (%d symbols), e.g. %v", client, len(hits), first(hits, 3))
	}
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }
