package ring_test

import (
	"os"
	"os/exec"
	"path/filepath"
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
	bin, dir := buildCommand(t, func(string) string {
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

	// The targets of issue 10: what otter and golang-lru programs weigh
	// (2.67 MB and 97 packages, 1.69 MB and 65) is the company ring keeps.
	stripped := filepath.Join(dir, "tool.stripped")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", stripped, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	out, err = build.CombinedOutput()
	require.NoError(t, err, string(out))
	info, err := os.Stat(stripped)
	require.NoError(t, err)
	list := exec.Command("go", "list", "-deps", ".")
	list.Dir = dir
	list.Env = build.Env
	deps, err := list.Output()
	require.NoError(t, err)
	n := strings.Count(string(deps), "\n")
	t.Logf("LRU-only program: %.2f MB stripped, %d packages", float64(info.Size())/1e6, n)
	require.LessOrEqual(t, info.Size(), int64(3_000_000), "the LRU-only program's stripped binary")
	require.LessOrEqual(t, n, 100, "the LRU-only program's packages (go list -deps):\n%s", deps)
}

// TestRootImportsNoServerClient: the packages every ring program imports
// (the root, backends, coders and what they import) depend on no server
// client and no third-party coder or compressor: those live in the
// packages under backends/ and coders/ that a program imports only when it
// uses them.
func TestRootImportsNoServerClient(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", ".", "./backends", "./coders").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, dep := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		for _, banned := range []string{
			"github.com/redis/", "github.com/bradfitz/gomemcache", "go.etcd.io/bbolt",
			"github.com/vmihailenco/msgpack", "github.com/klauspost/compress",
		} {
			require.False(t, strings.HasPrefix(dep, banned), "the root's dependencies include %s", dep)
		}
	}
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }
