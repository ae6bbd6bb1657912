package servertest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Do sends one command to the server on a connection of its own and
// returns the reply: a simple or bulk string, or an integer in decimal; an
// error reply is an error. Array replies are not supported. It is for
// setting servers up and watching them (CLUSTER NODES, INFO), not for the
// code under test, which uses the real clients.
func (s *Server) Do(args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c, b.String()); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", errors.New(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", fmt.Errorf("bad reply %q", line)
		}
		if n < 0 {
			return "", nil
		}
		body := make([]byte, n+2)
		if _, err := io.ReadFull(r, body); err != nil {
			return "", err
		}
		return string(body[:n]), nil
	}
	return "", fmt.Errorf("unsupported reply %q", line)
}

// Cluster is a private Redis Cluster started by [StartRedisCluster]: its
// own redis-server processes on free loopback ports, each a [Server] that
// the test may Pause, Stop and Restart (a restarted node keeps its
// cluster identity and rejoins). t.Cleanup stops every node.
type Cluster struct {
	t     testing.TB
	nodes []*Server
}

// ClusterOptions shapes a private cluster.
type ClusterOptions struct {
	// Masters is the number of masters (default 3); the hash slots are
	// split evenly between them.
	Masters int
	// Replicas is the number of replicas per master (default 0).
	Replicas int
	// NodeTimeout is cluster-node-timeout (default 1s): how long a node
	// may be unreachable before the others mark it failed and promote one
	// of its replicas. Keep it short for failover tests.
	NodeTimeout time.Duration
}

// StartRedisCluster starts a private Redis Cluster and returns it once
// every node reports cluster_state:ok and every replica is in sync with
// its master. Each node listens on a free port and its cluster bus on
// another (--cluster-port, so ports above 55535 work). Replicas may fail
// over however long they were disconnected
// (cluster-replica-validity-factor 0). It skips t (fails it under CI=true)
// when redis-server is not in PATH.
func StartRedisCluster(t testing.TB, opts ClusterOptions) *Cluster {
	t.Helper()
	if opts.Masters <= 0 {
		opts.Masters = 3
	}
	if opts.NodeTimeout <= 0 {
		opts.NodeTimeout = time.Second
	}
	c := &Cluster{t: t}
	n := opts.Masters * (1 + opts.Replicas)
	for range n {
		bus, err := freePort()
		if err != nil {
			t.Fatalf("servertest: %v", err)
		}
		c.nodes = append(c.nodes, StartRedis(t,
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-port", strconv.Itoa(bus),
			"--cluster-node-timeout", strconv.FormatInt(opts.NodeTimeout.Milliseconds(), 10),
			"--cluster-replica-validity-factor", "0",
			// A replica's full sync starts at once, not 5s later.
			"--repl-diskless-sync-delay", "0"))
	}
	first := c.nodes[0]
	for _, s := range c.nodes[1:] {
		bus := s.busPort()
		c.must(first.Do("CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(s.port), strconv.Itoa(bus)))
	}
	for i := range opts.Masters {
		lo := i * 16384 / opts.Masters
		hi := (i+1)*16384/opts.Masters - 1
		c.must(c.nodes[i].Do("CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi)))
	}
	c.waitFor("every node to know every other", func() error {
		for _, s := range c.nodes {
			out, err := s.Do("CLUSTER", "NODES")
			if err != nil {
				return err
			}
			if got := len(strings.Split(strings.TrimSpace(out), "\n")); got != n {
				return fmt.Errorf("node %d knows %d nodes", s.port, got)
			}
		}
		return nil
	})
	for i, s := range c.nodes[opts.Masters:] {
		master := c.nodes[i%opts.Masters]
		id, err := master.Do("CLUSTER", "MYID")
		c.must(id, err)
		c.must(s.Do("CLUSTER", "REPLICATE", id))
	}
	c.WaitHealthy()
	return c
}

func (c *Cluster) must(_ string, err error) {
	c.t.Helper()
	if err != nil {
		c.t.Fatalf("servertest: cluster: %v", err)
	}
}

// busPort returns the --cluster-port a node was started with.
func (s *Server) busPort() int {
	args := s.args(s.port)
	for i, a := range args {
		if a == "--cluster-port" && i+1 < len(args) {
			p, _ := strconv.Atoi(args[i+1])
			return p
		}
	}
	return s.port + 10000
}

func (c *Cluster) waitFor(what string, cond func() error) {
	c.t.Helper()
	deadline := time.Now().Add(2 * startTimeout)
	var err error
	for time.Now().Before(deadline) {
		if err = cond(); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("servertest: cluster: waiting for %s: %v", what, err)
}

// Nodes returns every node, masters first in the order they were made.
// Roles change with failovers: see [Cluster.Masters].
func (c *Cluster) Nodes() []*Server { return c.nodes }

// Addrs returns the address of every node, for a client's seed list.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.nodes))
	for i, s := range c.nodes {
		out[i] = s.Addr()
	}
	return out
}

// clusterNode is one line of CLUSTER NODES.
type clusterNode struct {
	id, master string
	port       int
	flags      string
	connected  bool
}

func (c *Cluster) view(from *Server) ([]clusterNode, error) {
	out, err := from.Do("CLUSTER", "NODES")
	if err != nil {
		return nil, err
	}
	var nodes []clusterNode
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			return nil, fmt.Errorf("bad CLUSTER NODES line %q", line)
		}
		hostPort, _, _ := strings.Cut(f[1], "@")
		_, p, _ := strings.Cut(hostPort, ":")
		port, _ := strconv.Atoi(p)
		nodes = append(nodes, clusterNode{id: f[0], port: port, flags: f[2], master: f[3], connected: f[7] == "connected"})
	}
	return nodes, nil
}

// liveView returns CLUSTER NODES as a running node sees it.
func (c *Cluster) liveView() ([]clusterNode, error) {
	var errs []error
	for _, s := range c.nodes {
		if s.running() {
			v, err := c.view(s)
			if err == nil {
				return v, nil
			}
			errs = append(errs, err)
		}
	}
	return nil, fmt.Errorf("no running node answers: %w", errors.Join(errs...))
}

func (s *Server) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.stopped && s.cmd != nil
}

func (c *Cluster) byPort(port int) *Server {
	for _, s := range c.nodes {
		if s.port == port {
			return s
		}
	}
	return nil
}

// Masters returns the nodes that are masters now, as a running node sees
// them (failed masters excluded).
func (c *Cluster) Masters() []*Server {
	c.t.Helper()
	v, err := c.liveView()
	if err != nil {
		c.t.Fatalf("servertest: cluster: %v", err)
	}
	var out []*Server
	for _, n := range v {
		if strings.Contains(n.flags, "master") && !strings.Contains(n.flags, "fail") {
			out = append(out, c.byPort(n.port))
		}
	}
	return out
}

// ReplicaOf returns a replica of master, as a running node sees it, or
// nil.
func (c *Cluster) ReplicaOf(master *Server) *Server {
	c.t.Helper()
	v, err := c.liveView()
	if err != nil {
		c.t.Fatalf("servertest: cluster: %v", err)
	}
	var id string
	for _, n := range v {
		if n.port == master.port {
			id = n.id
		}
	}
	for _, n := range v {
		if id != "" && n.master == id {
			return c.byPort(n.port)
		}
	}
	return nil
}

// IsMaster reports whether s is a master now, as it sees itself.
func (c *Cluster) IsMaster(s *Server) bool {
	info, err := s.Do("INFO", "replication")
	return err == nil && strings.Contains(info, "role:master")
}

// WaitHealthy waits until every running node reports cluster_state:ok,
// every running node sees every other running node connected, not failed,
// and in the role it has itself, and every running replica's link to its
// master is up; it fails t if that takes over 20s. After a Restart, this is
// when the node has rejoined in its new role.
func (c *Cluster) WaitHealthy() {
	c.t.Helper()
	c.waitFor("cluster_state:ok, one view of the roles, replicas in sync", func() error {
		roles := map[int]bool{} // port -> master, as the node sees itself
		var views [][]clusterNode
		for _, s := range c.nodes {
			if !s.running() {
				continue
			}
			info, err := s.Do("CLUSTER", "INFO")
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") {
				return fmt.Errorf("node %d: cluster state not ok", s.port)
			}
			repl, err := s.Do("INFO", "replication")
			if err != nil {
				return err
			}
			roles[s.port] = strings.Contains(repl, "role:master")
			if !roles[s.port] && !strings.Contains(repl, "master_link_status:up") {
				return fmt.Errorf("node %d: replica not in sync", s.port)
			}
			v, err := c.view(s)
			if err != nil {
				return err
			}
			views = append(views, v)
		}
		for _, v := range views {
			for _, n := range v {
				master, running := roles[n.port]
				if !running {
					continue
				}
				switch {
				case strings.Contains(n.flags, "fail"):
					return fmt.Errorf("node %d is flagged %s", n.port, n.flags)
				case !strings.Contains(n.flags, "myself") && !n.connected:
					return fmt.Errorf("node %d is not connected", n.port)
				case strings.Contains(n.flags, "master") != master:
					return fmt.Errorf("node %d is seen as %s", n.port, n.flags)
				}
			}
		}
		return nil
	})
}
