package servertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SentinelSet is a private Sentinel deployment started by
// [StartRedisSentinel]: a master, its replica and one sentinel (quorum 1)
// watching them under the name [SentinelSet.Name]. Every process is a
// [Server] the test may Stop and Restart. t.Cleanup stops them.
type SentinelSet struct {
	t        testing.TB
	name     string
	nodes    []*Server // the master first, then the replica
	sentinel *Server
}

// StartRedisSentinel starts a private master, a replica of it and a
// sentinel, and returns them once the replica is in sync and the
// sentinel sees both. The sentinel marks a silent master down after
// downAfter (down-after-milliseconds; a second is a good value), and a
// failover may be retried after three times that. It skips t (fails it
// under CI=true) when redis-server is not in PATH.
func StartRedisSentinel(t testing.TB, downAfter time.Duration) *SentinelSet {
	t.Helper()
	// A full sync starts at once (the default waits 5s for more replicas).
	fast := []string{"--repl-diskless-sync-delay", "0"}
	master := StartRedis(t, fast...)
	replica := StartRedis(t, append(fast, "--replicaof", "127.0.0.1", strconv.Itoa(master.Port()))...)
	s := &SentinelSet{t: t, name: "ring-test-master", nodes: []*Server{master, replica}}
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	ms := strconv.Itoa(int(downAfter / time.Millisecond))
	s.sentinel = start(t, "redis-server", func(port int) []string {
		// The sentinel rewrites its file; a relaunch starts from scratch.
		body := strings.Join([]string{
			"port " + strconv.Itoa(port),
			"bind 127.0.0.1",
			"protected-mode no",
			"daemonize no",
			`logfile ""`,
			"sentinel monitor " + s.name + " 127.0.0.1 " + strconv.Itoa(master.Port()) + " 1",
			"sentinel down-after-milliseconds " + s.name + " " + ms,
			"sentinel failover-timeout " + s.name + " " + strconv.Itoa(3*int(downAfter/time.Millisecond)),
			"sentinel parallel-syncs " + s.name + " 1",
		}, "\n") + "\n"
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Errorf("servertest: write %s: %v", conf, err)
		}
		return []string{conf, "--sentinel"}
	})
	s.wait("the replica in sync and seen by the sentinel", func() error {
		info, err := s.sentinel.Do("INFO", "sentinel")
		if err != nil {
			return err
		}
		want := "address=" + master.Addr() + ",slaves=1"
		if !strings.Contains(info, want) {
			return fmt.Errorf("sentinel: want %q in %q", want, info)
		}
		return s.inSync(master, replica)
	})
	return s
}

// inSync reports an error unless replica is replicating master with its
// link up and no offset left to catch up.
func (s *SentinelSet) inSync(master, replica *Server) error {
	info, err := replica.Do("INFO", "replication")
	if err != nil {
		return err
	}
	if !strings.Contains(info, "master_port:"+strconv.Itoa(master.Port())) ||
		!strings.Contains(info, "master_link_status:up") {
		return fmt.Errorf("replica %s: %q", replica.Addr(), info)
	}
	return nil
}

func (s *SentinelSet) wait(what string, cond func() error) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("servertest: sentinel: %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Name returns the master's name, as FailoverOptions.MasterName wants it.
func (s *SentinelSet) Name() string { return s.name }

// SentinelAddrs returns the sentinel's address, as
// FailoverOptions.SentinelAddrs wants it.
func (s *SentinelSet) SentinelAddrs() []string { return []string{s.sentinel.Addr()} }

// Sentinel returns the sentinel process.
func (s *SentinelSet) Sentinel() *Server { return s.sentinel }

// Nodes returns the two data nodes, the first master first.
func (s *SentinelSet) Nodes() []*Server { return s.nodes }

// Master returns the node the sentinel reports as the master now.
func (s *SentinelSet) Master() *Server {
	s.t.Helper()
	info, err := s.sentinel.Do("INFO", "sentinel")
	if err != nil {
		s.t.Fatalf("servertest: sentinel: %v", err)
	}
	for _, n := range s.nodes {
		if strings.Contains(info, "address="+n.Addr()+",") {
			return n
		}
	}
	s.t.Fatalf("servertest: sentinel reports no known master: %q", info)
	return nil
}

// other returns the data node that is not n.
func (s *SentinelSet) other(n *Server) *Server {
	if s.nodes[0] == n {
		return s.nodes[1]
	}
	return s.nodes[0]
}

// Failover asks the sentinel to fail over (SENTINEL FAILOVER) and returns
// the new master once the sentinel reports it and the node reports the
// master role. The sentinel makes the old master a replica of it later
// (WaitReplica waits for that): until then the old master stays a master
// with its clients connected.
func (s *SentinelSet) Failover() *Server {
	s.t.Helper()
	old := s.Master()
	next := s.other(old)
	// Right after the start the sentinel may not have heard from the
	// replica yet (NOGOODSLAVE): ask again.
	s.wait("sentinel failover", func() error {
		_, err := s.sentinel.Do("SENTINEL", "FAILOVER", s.name)
		return err
	})
	s.WaitMaster(next)
	return next
}

// WaitMaster waits until the sentinel reports n as the master and n
// itself reports the master role.
func (s *SentinelSet) WaitMaster(n *Server) {
	s.t.Helper()
	s.wait("master "+n.Addr(), func() error {
		info, err := s.sentinel.Do("INFO", "sentinel")
		if err != nil {
			return err
		}
		if !strings.Contains(info, "address="+n.Addr()+",") {
			return fmt.Errorf("sentinel: %q", info)
		}
		role, err := n.Do("INFO", "replication")
		if err != nil {
			return err
		}
		if !strings.Contains(role, "role:master") {
			return fmt.Errorf("node %s: %q", n.Addr(), role)
		}
		return nil
	})
}

// WaitReplica waits until n replicates master with its link up (after a
// restart, the sentinel reconfigures a returning old master as a
// replica).
func (s *SentinelSet) WaitReplica(n, master *Server) {
	s.t.Helper()
	s.wait("replica "+n.Addr()+" of "+master.Addr(), func() error { return s.inSync(master, n) })
}

// FreePort returns a loopback port that was free a moment ago, for a
// second listener of a server (a TLS port, say).
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatalf("servertest: %v", err)
	}
	return p
}
