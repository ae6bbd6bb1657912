package coders

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine running: the
// compression layers promise to start none.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// record is a typical cached struct: ten fields of mixed types.
type record struct {
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

// makeRecord returns a deterministic, realistic record for seed i.
func makeRecord(i int) record {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	name := firstNames[r.IntN(len(firstNames))]
	tags := make([]string, 1+r.IntN(4))
	for j := range tags {
		tags[j] = tagWords[r.IntN(len(tagWords))]
	}
	return record{
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

// randomBytes returns n bytes that do not compress.
func randomBytes(n int, seed uint64) []byte {
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

// compressibleText returns n bytes of repetitive, log-like text.
func compressibleText(n int) string {
	var sb strings.Builder
	for i := 0; sb.Len() < n; i++ {
		fmt.Fprintf(&sb, "%06d user=%s action=login status=ok tags=%s\n", i, firstNames[i%len(firstNames)], tagWords[(i*7)%len(tagWords)])
	}
	return sb.String()[:n]
}

// Named types for the bytes and string coders.
type (
	blob  []byte
	label string
)

// mustLayer builds a layer or fails the test.
func mustLayer(t testing.TB, inner Coder, c Compressor, err error, opts ...LayerOption) *Layer {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	l, err := Compress(inner, c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// mustOpen opens a coder URL or fails the test.
func mustOpen(t testing.TB, u string) Coder {
	t.Helper()
	c, err := Open(u)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// structuredURLs are the coders (and chains) that can encode any struct.
var structuredURLs = []string{
	"json", "gob", "msgpack",
	"json+zstd", "json+s2", "json+gzip",
	"gob+zstd", "gob+s2", "gob+gzip",
	"msgpack+zstd", "msgpack+s2", "msgpack+gzip",
	"json+zstd+s2", "msgpack+s2+gzip", "gob+gzip+zstd",
	"msgpack+zstd://?level=best&min_size=0",
	"json+gzip://?level=9",
	"json+s2://?level=best",
}

// rawURLs are the coders (and chains) for []byte and string values.
var rawURLs = []string{
	"bytes", "string",
	"bytes+zstd", "bytes+s2", "bytes+gzip", "string+zstd", "string+s2+gzip",
	"zstd", "s2", "gzip",
}
