package ringkey_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/ringkey"
)

// allocs reports the allocations per call of Typed[T]'s encoder on v.
func allocs[T any](t *testing.T, v T) float64 {
	t.Helper()
	f, err := ringkey.Typed[T]()
	require.NoError(t, err)
	buf := make([]byte, 0, 256)
	return testing.AllocsPerRun(200, func() {
		var err error
		buf, err = f(buf[:0], v)
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestTypedNoAlloc(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts are not meaningful under -cover or -race")
	}
	tests := []struct {
		name string
		n    float64
	}{
		{"string", allocs(t, "https://example.com/a?b=c")},
		{"named string", allocs(t, Name("a:b"))},
		{"int", allocs(t, -42)},
		{"int8", allocs(t, int8(-4))},
		{"uint64", allocs(t, uint64(1)<<63)},
		{"float64", allocs(t, 0.1)},
		{"float32", allocs(t, float32(0.1))},
		{"complex128", allocs(t, complex(1, 2))},
		{"bool", allocs(t, true)},
		{"bytes", allocs(t, []byte("x=y"))},
		{"named bytes", allocs(t, Blob("b"))},
		{"time.Time", allocs(t, time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC))},
		{"time.Duration", allocs(t, 1500*time.Millisecond)},
		{"*T with RingKey", allocs(t, &staticKey{})},
		{"*T with RingKey, nil", allocs(t, (*staticKey)(nil))},
		{"RingKeyer interface", allocs(t, ringkey.RingKeyer(&staticKey{}))},
		{"any holding string", allocs(t, any("s"))},
		{"any holding int", allocs(t, any(1))},
	}
	for _, tt := range tests {
		require.Zero(t, tt.n, tt.name)
	}
}

// staticKey's RingKey does not allocate, so only the encoder is measured.
type staticKey struct{}

func (*staticKey) RingKey() string { return "static:key" }
