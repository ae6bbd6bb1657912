package bytesize

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for s, want := range map[string]int64{
		"0": 0, "1": 1, "7B": 7, "1kb": 1000, "2KB": 2000, "3MB": 3e6, "1GB": 1e9, "1TB": 1e12,
		"1KiB": 1024, "1kib": 1024, "2MiB": 2 << 20, "1GiB": 1 << 30, "1TiB": 1 << 40, " 5 MiB ": 5 << 20,
		"9223372036854775807": 1<<63 - 1,
	} {
		got, err := Parse(s)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for s, msg := range map[string]string{
		"":                     "does not start with a whole number",
		"-1":                   "does not start with a whole number",
		"MiB":                  "does not start with a whole number",
		"1.5KiB":               "unknown unit",
		"10XB":                 "unknown unit",
		"99999999999999999999": "too large",
		"9999999999999TiB":     "too large",
	} {
		if _, err := Parse(s); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Parse(%q): %v, want an error saying %q", s, err, msg)
		}
	}
}
