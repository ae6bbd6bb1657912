package memcachestore

import (
	"strings"
	"testing"
	"time"
)

func TestParseMetaValue(t *testing.T) {
	for _, c := range []struct {
		line string
		size int
		ttl  time.Duration
		err  string
	}{
		{line: "VA 3 t100\r\n", size: 3, ttl: 100 * time.Second},
		{line: "VA 0 t-1\r\n", size: 0, ttl: 0},
		{line: "VA 5 t7 kabc f0\r\n", size: 5, ttl: 7 * time.Second}, // flags not asked for are skipped
		{line: "VA 5 f0 t7\r\n", size: 5, ttl: 7 * time.Second},
		{line: "VA 1 t0\r\n", size: 1, ttl: time.Nanosecond}, // never read as "no expiry"
		{line: "VA 1048576 t2592000\r\n", size: 1 << 20, ttl: 30 * 24 * time.Hour},
		{line: "VA 3\r\n", err: "no time left"},
		{line: "VA 3 t\r\n", err: "a time left out of range"},
		{line: "VA 3 t-2\r\n", err: "a time left out of range"},
		{line: "VA 3 tx\r\n", err: "a time left out of range"},
		{line: "VA 3 t99999999999\r\n", err: "a time left out of range"},
		{line: "VA x t1\r\n", err: "a value size out of range"},
		{line: "VA 99999999999 t1\r\n", err: "a value size out of range"},
		{line: "VA -1 t1\r\n", err: "a value size out of range"},
		{line: "VA \r\n", err: "unexpected answer"},
		{line: "VA 3 t1\n", err: "unexpected answer"},
		{line: "HD\r\n", err: "unexpected answer"},
		{line: "VALUE k 0 1\r\n", err: "unexpected answer"},
		{line: "ERROR\r\n", err: `server answered "ERROR"`}, // a memcached without meta commands
		{line: "CLIENT_ERROR bad command line format\r\n", err: `server answered "CLIENT_ERROR`},
		{line: "SERVER_ERROR out of memory\r\n", err: `server answered "SERVER_ERROR out of memory"`},
	} {
		size, ttl, err := parseMetaValue([]byte(c.line))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one saying %q", c.line, err, c.err)
			}
			continue
		}
		if err != nil || size != c.size || ttl != c.ttl {
			t.Errorf("%q = %d, %v, %v; want %d, %v", c.line, size, ttl, err, c.size, c.ttl)
		}
	}
}
