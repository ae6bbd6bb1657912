package servertest

import (
	"bufio"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fakeTB records Skip and Fatal and ends the goroutine as the real ones do.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Skip(args ...any)      { f.skipped = strings.TrimSpace(fmtArgs(args)); runtime.Goexit() }
func (f *fakeTB) Fatal(args ...any)     { f.failed = strings.TrimSpace(fmtArgs(args)); runtime.Goexit() }
func (f *fakeTB) Fatalf(string, ...any) { f.failed = "fatalf"; runtime.Goexit() }
func (f *fakeTB) Skipf(string, ...any)  { f.skipped = "skipf"; runtime.Goexit() }
func (f *fakeTB) Cleanup(func())        {}
func (f *fakeTB) TempDir() string       { return f.TB.TempDir() }
func fmtArgs(args []any) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString(a.(string))
	}
	return b.String()
}

// call runs fn with a fake TB on its own goroutine, as t.Skip and t.Fatal
// end the goroutine that calls them.
func call(t *testing.T, fn func(tb testing.TB)) *fakeTB {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

func TestAddrsFromEnv(t *testing.T) {
	t.Setenv(EnvRedisAddr, "127.0.0.1:1")
	t.Setenv(EnvRedisClusterAddrs, " a:1, b:2 ,")
	t.Setenv(EnvMemcacheAddrs, "m:1,m:2")
	if got := RedisAddr(t); got != "127.0.0.1:1" {
		t.Errorf("RedisAddr = %q", got)
	}
	if got := strings.Join(RedisClusterAddrs(t), "|"); got != "a:1|b:2" {
		t.Errorf("RedisClusterAddrs = %q", got)
	}
	if got := strings.Join(MemcacheAddrs(t), "|"); got != "m:1|m:2" {
		t.Errorf("MemcacheAddrs = %q", got)
	}
}

func TestMissingServerSkipsOrFails(t *testing.T) {
	t.Setenv(EnvRedisAddr, "")
	t.Setenv(EnvMemcacheAddrs, "")
	t.Setenv("CI", "")
	f := call(t, func(tb testing.TB) { RedisAddr(tb) })
	if f.failed != "" || !strings.Contains(f.skipped, "redis not available: set RING_REDIS_ADDR or run scripts/test.sh") {
		t.Errorf("without CI: skipped %q failed %q", f.skipped, f.failed)
	}
	t.Setenv("CI", "true")
	f = call(t, func(tb testing.TB) { MemcacheAddrs(tb) })
	if f.skipped != "" || !strings.Contains(f.failed, "memcached not available: set RING_MEMCACHE_ADDRS") || !strings.Contains(f.failed, "CI=true") {
		t.Errorf("with CI=true: skipped %q failed %q", f.skipped, f.failed)
	}
}

func TestMissingBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CI", "")
	f := call(t, func(tb testing.TB) { StartRedis(tb) })
	if !strings.Contains(f.skipped, "redis-server binary not available") || !strings.Contains(f.skipped, "scripts/test.sh") {
		t.Errorf("skipped %q failed %q", f.skipped, f.failed)
	}
	t.Setenv("CI", "true")
	f = call(t, func(tb testing.TB) { StartMemcached(tb) })
	if !strings.Contains(f.failed, "memcached binary not available") {
		t.Errorf("skipped %q failed %q", f.skipped, f.failed)
	}
}

// ask sends a command and returns the first reply line, or an error.
func ask(addr, cmd string, timeout time.Duration) (string, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

func TestPrivateRedisLifecycle(t *testing.T) {
	s := StartRedis(t)
	if got, err := ask(s.Addr(), "PING", time.Second); err != nil || got != "+PONG\r\n" {
		t.Fatalf("PING = %q, %v", got, err)
	}
	if _, err := ask(s.Addr(), "SET k v", time.Second); err != nil {
		t.Fatal(err)
	}
	s.Pause()
	if got, err := ask(s.Addr(), "PING", 200*time.Millisecond); err == nil {
		t.Fatalf("a paused server answered %q", got)
	}
	s.Resume()
	if got, err := ask(s.Addr(), "PING", time.Second); err != nil || got != "+PONG\r\n" {
		t.Fatalf("PING after Resume = %q, %v", got, err)
	}
	s.Stop()
	if _, err := ask(s.Addr(), "PING", 200*time.Millisecond); err == nil {
		t.Fatal("a stopped server answered")
	}
	s.Stop() // twice is fine
	addr := s.Addr()
	s.Restart()
	if s.Addr() != addr {
		t.Fatalf("Restart moved the server from %s to %s", addr, s.Addr())
	}
	if got, err := ask(s.Addr(), "GET k", time.Second); err != nil || got != "$-1\r\n" {
		t.Fatalf("GET k after Restart = %q, %v (want an empty server)", got, err)
	}
}

func TestPrivateMemcached(t *testing.T) {
	s := StartMemcached(t)
	if got, err := ask(s.Addr(), "version", time.Second); err != nil || !strings.HasPrefix(got, "VERSION ") {
		t.Fatalf("version = %q, %v", got, err)
	}
	s.Restart()
	if got, err := ask(s.Addr(), "version", time.Second); err != nil || !strings.HasPrefix(got, "VERSION ") {
		t.Fatalf("version after Restart = %q, %v", got, err)
	}
}

// TestStartRedisCluster builds a private cluster of three masters with a
// replica each, kills a master, sees its replica promoted, and restarts
// the old master, which rejoins as a replica.
func TestStartRedisCluster(t *testing.T) {
	c := StartRedisCluster(t, ClusterOptions{Masters: 3, Replicas: 1, NodeTimeout: 500 * time.Millisecond})
	if got := len(c.Nodes()); got != 6 {
		t.Fatalf("%d nodes, want 6", got)
	}
	if got := len(c.Addrs()); got != 6 {
		t.Fatalf("%d addresses, want 6", got)
	}
	masters := c.Masters()
	if len(masters) != 3 {
		t.Fatalf("%d masters, want 3", len(masters))
	}
	victim := masters[1]
	replica := c.ReplicaOf(victim)
	if replica == nil || c.IsMaster(replica) || !c.IsMaster(victim) {
		t.Fatalf("master %s has replica %v", victim.Addr(), replica)
	}
	if _, err := victim.Do("SET", "{x}k", "v"); err != nil && !strings.HasPrefix(err.Error(), "MOVED") {
		t.Fatalf("SET: %v", err)
	}
	start := time.Now()
	victim.Stop()
	for !c.IsMaster(replica) {
		if time.Since(start) > 20*time.Second {
			t.Fatal("the replica was not promoted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("replica promoted %v after the kill", time.Since(start).Round(time.Millisecond))
	c.WaitHealthy()
	victim.Restart()
	c.WaitHealthy()
	if c.IsMaster(victim) {
		t.Error("the old master came back as a master")
	}
	if got := c.ReplicaOf(replica); got != victim {
		t.Errorf("the new master's replica is %v, want the old master", got)
	}
}
