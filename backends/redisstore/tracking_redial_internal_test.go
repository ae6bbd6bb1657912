package redisstore

import (
	"testing"
	"time"
)

// TestTrackingRedialBackoff pins the redial schedule of a tracking
// connection: from trackFirstWait, doubling, capped at trackMaxWait on a
// node and at trackFailoverProbe through Sentinel (whose every dial asks
// Sentinel for the master, so that the replacement of a killed master is
// tracked within a probe of Sentinel naming it).
func TestTrackingRedialBackoff(t *testing.T) {
	for _, c := range []struct {
		failover bool
		want     []time.Duration
	}{
		{false, []time.Duration{50, 100, 200, 400, 800, 1600, 2000, 2000}},
		{true, []time.Duration{50, 100, 200, 250, 250, 250, 250, 250}},
	} {
		wait := trackFirstWait
		for i, want := range c.want {
			if wait != want*time.Millisecond {
				t.Fatalf("failover=%v: wait %d is %v, want %v", c.failover, i, wait, want*time.Millisecond)
			}
			wait = nextRedial(wait, c.failover)
		}
	}
}
