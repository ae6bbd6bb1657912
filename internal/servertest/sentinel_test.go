package servertest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestStartRedisSentinel: the set starts with the first node as master and
// the second in sync with it; Failover makes the second the master, and
// the first follows it as a replica; a killed master is replaced and comes
// back as a replica after Restart.
func TestStartRedisSentinel(t *testing.T) {
	s := StartRedisSentinel(t, time.Second)
	first, second := s.Nodes()[0], s.Nodes()[1]
	if s.Master() != first {
		t.Fatalf("master %s, want %s", s.Master().Addr(), first.Addr())
	}
	if _, err := first.Do("SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	// Replication is asynchronous: a failover before the replica has the
	// write loses it, and the old master, resynced as a replica, too.
	s.wait("k on the replica", func() error {
		if v, err := second.Do("GET", "k"); err != nil || v != "v" {
			return fmt.Errorf("k = %q, %v", v, err)
		}
		return nil
	})
	if next := s.Failover(); next != second {
		t.Fatalf("failover to %s, want %s", next.Addr(), second.Addr())
	}
	s.WaitReplica(first, second)
	if v, err := first.Do("GET", "k"); err != nil || v != "v" {
		t.Fatalf("the old master, now a replica, has k = %q, %v", v, err)
	}
	second.Stop()
	s.WaitMaster(first)
	second.Restart()
	s.WaitReplica(second, first)
	info, err := second.Do("INFO", "replication")
	if err != nil || !strings.Contains(info, "role:slave") {
		t.Fatalf("the restarted old master: %q, %v", info, err)
	}
}
