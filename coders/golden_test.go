package coders_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ring/internal/codertest"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/encodings.golden")

// goldenRecord is a struct without maps, whose encodings are deterministic
// in every coder (msgpack writes map entries in Go's random order).
type goldenRecord struct {
	ID      int64     `json:"id" msgpack:"id"`
	Name    string    `json:"name" msgpack:"name"`
	Tags    []string  `json:"tags" msgpack:"tags"`
	Created time.Time `json:"created" msgpack:"created"`
	Score   float64   `json:"score" msgpack:"score"`
}

// goldenURLs are coders whose stored bytes are pinned: every base coder
// but gob, every layer at several levels, and chains. gob is left out: it
// numbers types with a counter global to the process, so its bytes depend
// on what the process encoded before (each stream still carries its own
// type descriptions, so any gob reader decodes it).
var goldenURLs = []string{
	"json", "msgpack", "bytes", "string",
	"json+zstd", "json+s2", "json+gzip",
	"msgpack+zstd://?level=best&min_size=0", "json+gzip://?level=9", "msgpack+s2://?level=better",
	"json+zstd+s2://?zstd.level=fastest&s2.level=best", "zstd://?level=better", "gzip://?level=-2", "s2://",
	"string+gzip://?level=1",
}

// TestEncodingsGolden checks that the bytes every coder stores are the ones
// recorded in testdata/encodings.golden, so that entries written by one
// version of ring are read by the next: short encodings are stored whole
// (base64) and must also decode back, long ones as their length and
// SHA-256. Run with -update to rewrite the file after a deliberate change.
func TestEncodingsGolden(t *testing.T) {
	long := strings.Repeat("user=ada action=login status=ok\n", 200)
	values := []any{
		"short",
		long,
		[]string{"a", long},
		goldenRecord{1, "ada", []string{"x", "y"}, time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC), 2.5},
		[]goldenRecord{{2, long, nil, time.Unix(1e9, 0).UTC(), 1}},
	}
	var got bytes.Buffer
	for _, u := range goldenURLs {
		c := mustOpen(t, u)
		for i, v := range values {
			b, err := c.Encode(v)
			if err != nil {
				fmt.Fprintf(&got, "%s %d error\n", u, i) // bytes and string take no structs
				continue
			}
			if len(b) <= 200 {
				fmt.Fprintf(&got, "%s %d %s\n", u, i, base64.StdEncoding.EncodeToString(b))
			} else {
				fmt.Fprintf(&got, "%s %d len=%d sha256=%x\n", u, i, len(b), sha256.Sum256(b))
			}
		}
	}
	path := filepath.Join("testdata", "encodings.golden")
	if *update {
		require.NoError(t, os.WriteFile(path, got.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), got.String(), "stored bytes changed: entries written before would not be read the same (rerun with -update only if that is intended)")

	// The recorded short encodings decode to their values.
	for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[2] == "error" || strings.HasPrefix(f[2], "len=") {
			continue
		}
		data, err := base64.StdEncoding.DecodeString(f[2])
		require.NoError(t, err, line)
		i, err := strconv.Atoi(f[1])
		require.NoError(t, err, line)
		target := reflect.New(reflect.TypeOf(values[i]))
		require.NoError(t, mustOpen(t, f[0]).Decode(data, target.Interface()), line)
		codertest.RequireEqual(t, values[i], target.Elem().Interface())
	}
}
