package ringhttp

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// oldVariantKey is variantKey as first written (hash.Hash, strings.Join):
// the keys of stored responses must not change with the hit path's
// rewrite.
func oldVariantKey(uk, host string, gen uint64, names []string, hdr http.Header) string {
	k := "e:" + uk + ":" + strconv.FormatUint(gen, 16) + ":"
	s := sha256.New()
	s.Write([]byte(strings.ToLower(host)))
	s.Write([]byte{0})
	for _, n := range names {
		s.Write([]byte(n))
		s.Write([]byte{0})
		s.Write([]byte(strings.Join(hdr.Values(n), ", ")))
		s.Write([]byte{0})
	}
	return k + hex.EncodeToString(s.Sum(nil)[:16])
}

// TestVariantKeys: variantKey and the key cache give the keys of the first
// implementation, for 3000 requests (more than the cache's slots, so that
// slots are shared and replaced), each asked twice, long URLs included.
func TestVariantKeys(t *testing.T) {
	c := &keyCache{seed: maphash.MakeSeed()}
	names := []string{"Accept-Encoding", "Accept-Language"}
	for round := range 2 {
		for i := range 3000 {
			uk := fmt.Sprintf("/p/%d", i%700)
			if i%97 == 0 {
				uk = "/" + strings.Repeat("x", 150) + strconv.Itoa(i) // past the stack buffers
			}
			hdr := http.Header{"Accept-Language": {fmt.Sprintf("fr-%d", i%3), "en"}}
			if i%2 == 0 {
				hdr["Accept-Encoding"] = []string{"gzip"}
			}
			host := fmt.Sprintf("Site%d.Example", i%5)
			gen := uint64(i%4)*0x9e3779b97f4a7c15 | 1
			want := oldVariantKey(uk, host, gen, names[:i%3], hdr)
			if got := variantKey(uk, host, gen, names[:i%3], hdr); got != want {
				t.Fatalf("variantKey %d: %s, want %s", i, got, want)
			}
			if got := c.variant(uk, host, gen, names[:i%3], hdr); got != want {
				t.Fatalf("round %d, cached key %d: %s, want %s", round, i, got, want)
			}
		}
	}
}
