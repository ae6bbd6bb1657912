package memcachestore

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/bradfitz/gomemcache/memcache"
)

// answering is a listener that reads one request line per connection and
// writes answer to it, then reads until the client closes (reporting it on
// closed). It plays a server that breaks the protocol: a real memcached
// never does.
func answering(t *testing.T, answer string) (addr string, requests <-chan string, closed <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reqs, done := make(chan string, 1), make(chan struct{}, 1)
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		r := bufio.NewReader(nc)
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		reqs <- line
		_, _ = io.WriteString(nc, answer)
		_, _ = io.Copy(io.Discard, r) // until the client closes
		done <- struct{}{}
	})
	return ln.Addr().String(), reqs, done
}

// combinedLead runs one combined get of key with waiters for others, as
// a leader that found them queued, against addr.
func combinedLead(t *testing.T, addr, key string, others ...string) (*mcPipe, []*mcWaiter, []byte, error) {
	t.Helper()
	ss := new(memcache.ServerList)
	if err := ss.SetServers(addr); err != nil {
		t.Fatal(err)
	}
	p := &mcPipe{client: memcache.NewFromSelector(ss), ss: ss, combine: true}
	a, _ := ss.PickServer(key)
	c := p.combiner(a)
	batch := make([]*mcWaiter, len(others))
	for i, k := range others {
		batch[i] = &mcWaiter{key: k, wake: make(chan struct{}, 1)}
	}
	c.leaders = 1
	waiters := append([]*mcWaiter(nil), batch...) // lead clears batch
	v, err := c.lead(context.Background(), key, nil, batch)
	batch = waiters
	for _, w := range batch {
		select {
		case <-w.wake:
		default:
			t.Fatalf("the waiter of %q was not woken", w.key)
		}
	}
	if c.leaders != 0 {
		t.Errorf("%d leaders after the lead", c.leaders)
	}
	return p, batch, v, err
}

// TestCombinedGetCorrupt: a combined get whose answer breaks the protocol
// fails every caller it carried, none gets a value, and the connection is
// closed, not pooled.
func TestCombinedGetCorrupt(t *testing.T) {
	for _, c := range []struct{ name, answer, err string }{
		{"out of order", "VALUE b 0 1\r\nB\r\nVALUE a 0 1\r\nA\r\nEND\r\n", `a value for "a"`},
		{"a key not asked for", "VALUE a 0 1\r\nA\r\nVALUE x 0 1\r\nX\r\nEND\r\n", `a value for "x"`},
		{"a value longer than announced", "VALUE a 0 1\r\nAA\r\nEND\r\n", "does not end with CRLF"},
		{"no END (the client's Timeout ends it)", "VALUE a 0 1\r\nA\r\nVALUE b 0 1\r\nB\r\n", "timeout"},
		{"server error", "SERVER_ERROR out of memory\r\n", "SERVER_ERROR"},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr, reqs, closed := answering(t, c.answer)
			p, batch, v, err := combinedLead(t, addr, "a", "b", "c")
			if got := <-reqs; got != "get a b c\r\n" {
				t.Errorf("request %q, want one get of the three keys", got)
			}
			if err == nil || v != nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("the leader: %q, %v; want an error saying %q", v, err, c.err)
			}
			for _, w := range batch {
				if w.err == nil || w.val != nil || w.state.Load() != mcDone || w.retry {
					t.Errorf("waiter %q: %q, %v (state %d, retry %v), want the get's error", w.key, w.val, w.err, w.state.Load(), w.retry)
				}
			}
			<-closed // the connection was closed
			p.mu.Lock()
			defer p.mu.Unlock()
			if n := len(p.idle[addr]); n != 0 {
				t.Errorf("%d connections pooled after a broken answer", n)
			}
		})
	}
}

// TestCombinedGetByPosition: each caller gets the value at its key's
// position, a repeated key included, and a miss stays nil.
func TestCombinedGetByPosition(t *testing.T) {
	addr, reqs, _ := answering(t, "VALUE a 0 2\r\nA1\r\nVALUE c 0 2\r\nC1\r\nVALUE a 0 2\r\nA1\r\nEND\r\n")
	p, batch, v, err := combinedLead(t, addr, "a", "b", "c", "a")
	defer p.close()
	if got := <-reqs; got != "get a b c a\r\n" {
		t.Errorf("request %q", got)
	}
	if err != nil || string(v) != "A1" {
		t.Fatalf("the leader: %q, %v", v, err)
	}
	want := []string{"", "C1", "A1"}
	for i, w := range batch {
		if w.err != nil || string(w.val) != want[i] || (want[i] == "") != (w.val == nil) {
			t.Errorf("waiter %q: %q, %v; want %q", w.key, w.val, w.err, want[i])
		}
	}
	if errors.Is(err, errMemcacheProtocol) {
		t.Fatal(err)
	}
}
