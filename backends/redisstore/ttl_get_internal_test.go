package redisstore

import (
	"testing"
	"time"
)

// TestPTTL pins how a PTTL reply (as go-redis gives it) becomes a time
// left: a key gone between the read of its value and its PTTL (-2) is a
// miss, never a hit with a negative time; -1 is "no expiry"; under a
// millisecond left is still a positive time, never 0.
func TestPTTL(t *testing.T) {
	for _, c := range []struct {
		in    time.Duration
		want  time.Duration
		found bool
	}{
		{-2, 0, false},
		{-1, 0, true},
		{0, time.Nanosecond, true},
		{time.Millisecond, time.Millisecond, true},
		{90 * time.Second, 90 * time.Second, true},
	} {
		got, found := pttl(c.in)
		if got != c.want || found != c.found {
			t.Errorf("pttl(%v) = %v, %v; want %v, %v", int64(c.in), got, found, c.want, c.found)
		}
	}
}
