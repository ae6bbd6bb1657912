package coders

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseSize(t *testing.T) {
	// The grammar of backends.ParseSize (package bytesize).
	good := map[string]int{"0": 0, "1": 1, "64": 64, "1B": 1, "2b": 2, "1KiB": 1024, "3kib": 3072, "1MiB": 1 << 20, "64MiB": 64 << 20, "2GiB": 2 << 30, "007": 7,
		"1KB": 1000, "1MB": 1e6, "1TiB": 1 << 40, " 1": 1, "1 KiB": 1024}
	for s, want := range good {
		got, err := parseSize(s)
		require.NoError(t, err, s)
		require.Equal(t, want, got, s)
	}
	for _, s := range []string{"", "B", "-1", "+1", "1K", "1e3", "0x10", "1.5MiB", "99999999999999999999"} {
		_, err := parseSize(s)
		require.Error(t, err, s)
	}
}
