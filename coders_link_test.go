package ring_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	// The tests of this package name the msgpack coder and the zstd, s2 and
	// gzip layers (ring_test.go, remote_test.go, redact_test.go): a program
	// that does imports these.
	_ "github.com/ringcache/ring/coders/compression"
	_ "github.com/ringcache/ring/coders/msgpackcoder"
)

// TestCodersLinkOnlyTheStandardLibrary checks that package coders, which
// every ring program imports, depends on nothing outside the standard
// library but ring's own internal/bytesize: msgpack and klauspost/compress
// are linked only by the programs that import coders/msgpackcoder or
// coders/compression. It also checks that those two do bring them, so that
// the check can see a third-party module when there is one.
func TestCodersLinkOnlyTheStandardLibrary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	nonStandard := func(pkg string) []string {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).CombinedOutput()
		require.NoError(t, err, string(out))
		return strings.Fields(string(out))
	}
	deps := nonStandard("github.com/ringcache/ring/coders")
	for _, d := range deps {
		require.False(t, strings.HasPrefix(d, "github.com/vmihailenco/") || strings.HasPrefix(d, "github.com/klauspost/"),
			"package coders depends on %s", d)
	}
	require.ElementsMatch(t, []string{"github.com/ringcache/ring/coders", "github.com/ringcache/ring/internal/bytesize"}, deps)

	require.Contains(t, nonStandard("github.com/ringcache/ring/coders/msgpackcoder"), "github.com/vmihailenco/msgpack/v5")
	require.Contains(t, nonStandard("github.com/ringcache/ring/coders/compression"), "github.com/klauspost/compress/zstd")
}

// TestUnimportedCoderNamesSayWhatToImport builds a program that imports
// package coders alone and checks that the names the opt-in packages
// register are errors that name the package to import, and that the
// program links neither msgpack nor klauspost/compress.
func TestUnimportedCoderNamesSayWhatToImport(t *testing.T) {
	bin, _ := buildCommand(t, func(string) string {
		return `package main

import (
	"fmt"

	"github.com/ringcache/ring/coders"
)

func main() {
	_, err := coders.Lookup("msgpack")
	fmt.Println(err)
	_, err = coders.Open("json+zstd://?level=3")
	fmt.Println(err)
	_, err = coders.Open("s2://")
	fmt.Println(err)
	c, err := coders.Open("json://")
	fmt.Println(c.Name(), err)
}
`
	})
	out, err := exec.Command(bin).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, `ring: coder "msgpack" is not registered: import github.com/ringcache/ring/coders/msgpackcoder
ring: coder json+zstd: compression layer "zstd" is not registered: import github.com/ringcache/ring/coders/compression
ring: coder s2: compression layer "s2" is not registered: import github.com/ringcache/ring/coders/compression
json <nil>
`, string(out))

	nm, err := exec.Command("go", "tool", "nm", bin).Output()
	require.NoError(t, err)
	for _, line := range strings.Split(string(nm), "\n") {
		require.False(t, strings.Contains(line, "github.com/vmihailenco/") || strings.Contains(line, "github.com/klauspost/"),
			"a coders-only program links %s", strings.TrimSpace(line))
	}
}
