package ringhttp_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLinksNoServerClient: a program that caches pages on an LRU links no
// server client, as a program using the root package alone does.
func TestLinksNoServerClient(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, dep := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		for _, banned := range []string{
			"github.com/redis/", "github.com/bradfitz/gomemcache", "go.etcd.io/bbolt",
			"github.com/vmihailenco/msgpack", "github.com/klauspost/compress",
		} {
			require.False(t, strings.HasPrefix(dep, banned), "ringhttp's dependencies include %s", dep)
		}
	}
}
