// Package codertest holds the values that the tests of package coders and
// its sub-packages encode: a typical cached struct and byte strings that do
// and do not compress. Everything here is deterministic, so that encodings
// can be compared across runs.
package codertest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Record is a typical cached struct: ten fields of mixed types.
type Record struct {
	ID      int64          `json:"id" msgpack:"id"`
	Name    string         `json:"name" msgpack:"name"`
	Email   string         `json:"email" msgpack:"email"`
	Age     int            `json:"age" msgpack:"age"`
	Created time.Time      `json:"created" msgpack:"created"`
	Score   float64        `json:"score" msgpack:"score"`
	Active  bool           `json:"active" msgpack:"active"`
	Tags    []string       `json:"tags" msgpack:"tags"`
	Counts  map[string]int `json:"counts" msgpack:"counts"`
	Note    string         `json:"note" msgpack:"note"`
}

var firstNames = []string{"ada", "grace", "alan", "edsger", "barbara", "donald", "ken", "rob", "margaret", "linus"}
var tagWords = []string{"admin", "beta", "eu", "us", "mobile", "web", "trial", "paid", "legacy", "vip"}

// MakeRecord returns a deterministic, realistic record for seed i.
func MakeRecord(i int) Record {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	name := firstNames[r.IntN(len(firstNames))]
	tags := make([]string, 1+r.IntN(4))
	for j := range tags {
		tags[j] = tagWords[r.IntN(len(tagWords))]
	}
	return Record{
		ID:      int64(100000 + i),
		Name:    fmt.Sprintf("%s %c.", strings.ToUpper(name[:1])+name[1:], 'A'+rune(r.IntN(26))),
		Email:   fmt.Sprintf("%s.%d@example.com", name, r.IntN(10000)),
		Age:     18 + r.IntN(70),
		Created: time.Date(2024, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e9), time.UTC),
		Score:   float64(r.IntN(100000)) / 100,
		Active:  r.IntN(2) == 0,
		Tags:    tags,
		Counts:  map[string]int{"logins": r.IntN(1000), "orders": r.IntN(50), "tickets": r.IntN(5)},
		Note:    "customer since " + time.Month(1+r.IntN(12)).String(),
	}
}

// RandomBytes returns n bytes that do not compress.
func RandomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// CompressibleText returns n bytes of repetitive, log-like text.
func CompressibleText(n int) string {
	var sb strings.Builder
	for i := 0; sb.Len() < n; i++ {
		fmt.Fprintf(&sb, "%06d user=%s action=login status=ok tags=%s\n", i, firstNames[i%len(firstNames)], tagWords[(i*7)%len(tagWords)])
	}
	return sb.String()[:n]
}

// RequireEqual compares semantically: times with Equal, nil and empty alike
// (gob does not transmit empty slices and maps).
func RequireEqual(t testing.TB, want, got any) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
	}
}
