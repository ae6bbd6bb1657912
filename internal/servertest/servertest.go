// Package servertest finds and starts the real Redis and memcached servers
// that the project's tests run against. It is for tests only.
//
// # Shared servers
//
// [RedisAddr], [RedisClusterAddrs] and [MemcacheAddrs] return the servers
// named by the environment variables RING_REDIS_ADDR,
// RING_REDIS_CLUSTER_ADDRS and RING_MEMCACHE_ADDRS (comma-separated
// host:port lists), which scripts/test.sh sets after starting the servers on
// loopback. When a variable is unset the test is skipped with a message that
// names scripts/test.sh, except under CI=true, where it fails: CI must never
// pass by skipping. Shared servers are shared by every test package running
// at the same time: use unique keys and never flush.
//
// # Private servers
//
// [StartRedis] and [StartMemcached] start a server process of the test's
// own (redis-server or memcached from PATH) on a free loopback port, for
// tests that stop, restart or freeze a server in the middle of a run. The
// returned [Server] is stopped and its files removed by t.Cleanup. A missing
// binary skips the test (fails it under CI=true), like a missing shared
// server.
//
// A fault test typically looks like this:
//
//	srv := servertest.StartRedis(t)
//	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(),
//		DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond,
//		WriteTimeout: 200 * time.Millisecond, MaxRetries: -1})
//	t.Cleanup(func() { rdb.Close() })
//	// ... calls succeed ...
//	srv.Stop()    // the server is gone: calls fail fast (connection refused)
//	srv.Restart() // the same port again, empty: the same client works again
//	srv.Pause()   // SIGSTOP: the server accepts but never answers (timeouts)
//	srv.Resume()  // SIGCONT
//
// Keep client timeouts short in such tests so that a call against a stopped
// or frozen server fails in well under a second instead of hanging.
package servertest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Environment variables that name the shared servers.
const (
	// EnvRedisAddr names one Redis node, as host:port.
	EnvRedisAddr = "RING_REDIS_ADDR"
	// EnvRedisClusterAddrs names the nodes of a Redis Cluster,
	// comma-separated host:port items.
	EnvRedisClusterAddrs = "RING_REDIS_CLUSTER_ADDRS"
	// EnvMemcacheAddrs names memcached servers, comma-separated host:port
	// items.
	EnvMemcacheAddrs = "RING_MEMCACHE_ADDRS"
	// EnvRedisSentinelAddrs names Redis Sentinels, comma-separated
	// host:port items, watching the master named by EnvRedisSentinelMaster.
	EnvRedisSentinelAddrs = "RING_REDIS_SENTINEL_ADDRS"
	// EnvRedisSentinelMaster is the master name the sentinels watch.
	EnvRedisSentinelMaster = "RING_REDIS_SENTINEL_MASTER"
)

// Script is the script that installs and starts the test servers.
const Script = "scripts/test.sh"

// InCI reports whether the tests run under CI (CI=true), where a missing
// server is a failure instead of a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// unavailable skips t, or fails it under CI, saying what is missing.
func unavailable(t testing.TB, what, hint string) {
	t.Helper()
	msg := fmt.Sprintf("%s not available: %s or run %s", what, hint, Script)
	if InCI() {
		t.Fatal(msg + " (CI=true: a missing server fails the test)")
	}
	t.Skip(msg)
}

func addrList(t testing.TB, env, what string) []string {
	t.Helper()
	var out []string
	for _, a := range strings.Split(os.Getenv(env), ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		unavailable(t, what, "set "+env)
	}
	return out
}

// RedisAddr returns the address of the shared Redis node (RING_REDIS_ADDR),
// or skips t (fails it under CI=true) when it is unset.
func RedisAddr(t testing.TB) string {
	t.Helper()
	return addrList(t, EnvRedisAddr, "redis")[0]
}

// RedisClusterAddrs returns the addresses of the shared Redis Cluster
// (RING_REDIS_CLUSTER_ADDRS), or skips t (fails it under CI=true) when it is
// unset.
func RedisClusterAddrs(t testing.TB) []string {
	t.Helper()
	return addrList(t, EnvRedisClusterAddrs, "redis cluster")
}

// RedisSentinel returns the addresses of the shared Redis Sentinels
// (RING_REDIS_SENTINEL_ADDRS) and the master name they watch
// (RING_REDIS_SENTINEL_MASTER), or skips t (fails it under CI=true) when
// they are unset.
func RedisSentinel(t testing.TB) (addrs []string, master string) {
	t.Helper()
	addrs = addrList(t, EnvRedisSentinelAddrs, "redis sentinel")
	master = os.Getenv(EnvRedisSentinelMaster)
	if master == "" {
		unavailable(t, "redis sentinel master name", "set "+EnvRedisSentinelMaster)
	}
	return addrs, master
}

// MemcacheAddrs returns the addresses of the shared memcached servers
// (RING_MEMCACHE_ADDRS), or skips t (fails it under CI=true) when it is
// unset.
func MemcacheAddrs(t testing.TB) []string {
	t.Helper()
	return addrList(t, EnvMemcacheAddrs, "memcached")
}

// startTimeout bounds how long a private server may take to answer.
const startTimeout = 10 * time.Second

// Server is a private redis-server or memcached process started by
// [StartRedis] or [StartMemcached]. Its methods must be called from the
// test's goroutine (they may call t.Fatal). t.Cleanup stops it.
type Server struct {
	t    testing.TB
	kind string // "redis-server" or "memcached"
	bin  string
	args func(port int) []string
	dir  string
	port int

	mu      sync.Mutex
	cmd     *exec.Cmd
	log     *os.File
	stopped bool
}

// Addr returns the server's "127.0.0.1:port". It stays the same across
// Stop and Restart.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Port returns the server's port.
func (s *Server) Port() int { return s.port }

// Dir returns the server's private directory (working directory and logs).
func (s *Server) Dir() string { return s.dir }

// StartRedis starts a private redis-server on a free loopback port with no
// persistence and returns it once it answers. extraArgs are appended to the
// command line (for example "--maxmemory", "1mb"). It skips t (fails it
// under CI=true) when redis-server is not in PATH.
func StartRedis(t testing.TB, extraArgs ...string) *Server {
	t.Helper()
	return start(t, "redis-server", func(port int) []string {
		return append([]string{
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no",
			"--logfile", "", "--protected-mode", "no",
		}, extraArgs...)
	})
}

// StartMemcached starts a private memcached on a free loopback port (TCP
// only) and returns it once it answers. extraArgs are appended to the
// command line (for example "-I", "2m"). It skips t (fails it under
// CI=true) when memcached is not in PATH.
func StartMemcached(t testing.TB, extraArgs ...string) *Server {
	t.Helper()
	return start(t, "memcached", func(port int) []string {
		args := []string{"-p", strconv.Itoa(port), "-U", "0", "-l", "127.0.0.1", "-m", "64"}
		if os.Geteuid() == 0 {
			args = append(args, "-u", "root")
		}
		return append(args, extraArgs...)
	})
}

func start(t testing.TB, kind string, args func(port int) []string) *Server {
	t.Helper()
	bin, err := exec.LookPath(kind)
	if err != nil {
		unavailable(t, kind+" binary", "install it (apt-get install "+kind+")")
	}
	s := &Server{t: t, kind: kind, bin: bin, args: args, dir: t.TempDir()}
	t.Cleanup(s.Stop)
	var errs []error
	for range 3 { // a free port may be taken between the probe and the bind
		s.port, err = freePort()
		if err != nil {
			t.Fatalf("servertest: %v", err)
		}
		if err = s.launch(); err == nil {
			return s
		}
		errs = append(errs, err)
	}
	t.Fatalf("servertest: cannot start %s: %v", kind, errors.Join(errs...))
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// launch starts the process on s.port and waits until it answers. On
// failure the process is stopped and the error carries the log's tail.
func (s *Server) launch() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	log, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bin, s.args(s.port)...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = log, log // *os.File: no copying goroutines
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s: %w", s.kind, err)
	}
	s.cmd, s.log, s.stopped = cmd, log, false
	if err := s.waitReady(); err != nil {
		s.stopLocked()
		return fmt.Errorf("%s on port %d: %w; log:\n%s", s.kind, s.port, err, s.logTail())
	}
	return nil
}

func (s *Server) logPath() string { return s.dir + "/" + s.kind + ".log" }

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logPath())
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// waitReady polls until the server on s.port answers and is our process
// (its reported pid is ours), or the log shows it failed to bind.
func (s *Server) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	var last error
	for time.Now().Before(deadline) {
		pid, err := s.probe()
		if err == nil {
			if pid == s.cmd.Process.Pid {
				return nil
			}
			return fmt.Errorf("port %d answers for another process (pid %d)", s.port, pid)
		}
		last = err
		if strings.Contains(s.logTail(), "in use") {
			return errors.New("port already in use")
		}
		if exited(s.cmd.Process.Pid) {
			return errors.New("the process exited")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no answer within %v: %w", startTimeout, last)
}

// probe asks the server for its pid: INFO server on Redis, stats on
// memcached.
func (s *Server) probe() (int, error) {
	c, err := net.DialTimeout("tcp", s.Addr(), 200*time.Millisecond)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return 0, err
	}
	r := bufio.NewReader(c)
	var field string
	if s.kind == "redis-server" {
		field = "process_id:"
		if _, err := io.WriteString(c, "INFO server\r\n"); err != nil {
			return 0, err
		}
		head, err := r.ReadString('\n')
		if err != nil {
			return 0, err
		}
		if !strings.HasPrefix(head, "$") {
			return 0, fmt.Errorf("unexpected reply %q", strings.TrimSpace(head))
		}
		n, err := strconv.Atoi(strings.TrimSpace(head[1:]))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("unexpected reply %q", strings.TrimSpace(head))
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return 0, err
		}
		return findPID(body, field)
	}
	field = "STAT pid "
	if _, err := io.WriteString(c, "stats\r\n"); err != nil {
		return 0, err
	}
	var body bytes.Buffer
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return 0, err
		}
		if line == "END\r\n" {
			break
		}
		body.WriteString(line)
	}
	return findPID(body.Bytes(), field)
}

// exited reports whether the child pid has exited (is a zombie waiting to
// be reaped), from /proc; elsewhere it reports false.
func exited(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}

func findPID(body []byte, field string) (int, error) {
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, fmt.Errorf("no %q in the reply", field)
}

// Stop kills the server (SIGKILL, as a crash would) and waits for it to
// exit. Stopping a stopped server does nothing. Its data is lost: the
// servers keep nothing on disk.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *Server) stopLocked() {
	if s.stopped || s.cmd == nil {
		return
	}
	s.stopped = true
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait() // reaps the process; "killed" is the expected error
	_ = s.log.Close()
}

// Restart starts the server again on the same port, empty, and returns once
// it answers; it fails t if it cannot. Clients built on Addr reconnect to it
// without being rebuilt. A running server is stopped first.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	var err error
	// The port can stay busy for a moment after the kill.
	for deadline := time.Now().Add(startTimeout); time.Now().Before(deadline); {
		if err = s.launch(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("servertest: restart %s on port %d: %v", s.kind, s.port, err)
}

// Pause freezes the server with SIGSTOP: its port still accepts
// connections, but nothing is answered, so clients see timeouts rather than
// refused connections. Resume (or Stop, or the cleanup) ends it.
func (s *Server) Pause() {
	s.t.Helper()
	s.signal(syscall.SIGSTOP)
	// kill returns before the threads stop: a request sent right after
	// could still be answered. Wait until every thread shows as stopped.
	deadline := time.Now().Add(5 * time.Second)
	for !s.allStopped() {
		if time.Now().After(deadline) {
			s.t.Fatalf("servertest: %s on port %d did not stop after SIGSTOP", s.kind, s.port)
		}
		time.Sleep(time.Millisecond)
	}
}

// allStopped reports whether every thread of the server is in the stopped
// state (T) per /proc; without /proc it trusts the signal.
func (s *Server) allStopped() bool {
	s.mu.Lock()
	pid := s.cmd.Process.Pid
	s.mu.Unlock()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(tasks) == 0 {
		return true
	}
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended
		}
		// "pid (comm) S ...": the state follows the last ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) || (b[i+2] != 'T' && b[i+2] != 't') {
			return false
		}
	}
	return true
}

// Resume lets a paused server run again (SIGCONT).
func (s *Server) Resume() {
	s.t.Helper()
	s.signal(syscall.SIGCONT)
}

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || s.cmd == nil {
		s.t.Fatalf("servertest: %s on port %d is not running", s.kind, s.port)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("servertest: signal %v to %s: %v", sig, s.kind, err)
	}
}
