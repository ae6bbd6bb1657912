package memcachestore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"

	"github.com/bradfitz/gomemcache/memcache"
)

func TestParseValueLine(t *testing.T) {
	for _, c := range []struct {
		line, key string
		size      int
		err       string
	}{
		{line: "VALUE k 0 5\r\n", key: "k", size: 5},
		{line: "VALUE some:key 123 0 42\r\n", key: "some:key", size: 0}, // gets adds a cas
		{line: "VALUE k 7 1048576 99\r\n", key: "k", size: 1 << 20},
		{line: "SERVER_ERROR out of memory\r\n", err: `server answered "SERVER_ERROR out of memory"`},
		{line: "CLIENT_ERROR bad command line format\r\n", err: `server answered "CLIENT_ERROR`},
		{line: "ERROR\r\n", err: `server answered "ERROR"`},
		{line: "VALUE k 0\r\n", err: "unexpected answer"},
		{line: "VALUE k 0 -5\r\n", err: "unexpected answer"},
		{line: "VALUE k 0 5x\r\n", err: "unexpected answer"},
		{line: "VALUE  0 5\r\n", err: "unexpected answer"},
		{line: "VALUE k 0 5\n", err: "unexpected answer"},
		{line: "VALUE k 0 99999999999999999999\r\n", err: "a value of over 1073741824 bytes"},
		{line: "STORED\r\n", err: "unexpected answer"},
	} {
		key, size, err := parseValueLine([]byte(c.line))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one saying %q", c.line, err, c.err)
			}
			continue
		}
		if err != nil || string(key) != c.key || size != c.size {
			t.Errorf("%q = %q, %d, %v; want %q, %d", c.line, key, size, err, c.key, c.size)
		}
	}
}

// TestReadValuesCorrupt feeds the bulk reader answers a server should never
// send: each is an error that names the problem, never a panic or a value.
func TestReadValuesCorrupt(t *testing.T) {
	keys := []string{"a", "b", "c"}
	idx := []int{0, 1, 2}
	for _, c := range []struct{ name, answer, err string }{
		{"a key not asked for", "VALUE x 0 1\r\nv\r\nEND\r\n", `a value for "x"`},
		{"keys out of order", "VALUE b 0 1\r\nv\r\nVALUE a 0 1\r\nv\r\nEND\r\n", `a value for "a"`},
		{"no CRLF after the value", "VALUE a 0 1\r\nvv\r\nEND\r\n", `the value of "a" does not end with CRLF`},
		{"cut short", "VALUE a 0 10\r\nabc", "EOF"},
		{"no END", "VALUE a 0 1\r\nv\r\n", "EOF"},
		{"a line longer than the buffer", "VALUE " + strings.Repeat("k", 5000) + " 0 1\r\n", "a line of over"},
		{"server error", "SERVER_ERROR busy\r\n", `server answered "SERVER_ERROR busy"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			client, server := net.Pipe()
			defer client.Close()
			go func() {
				_, _ = server.Write([]byte(c.answer))
				server.Close()
			}()
			cn := &mcConn{nc: client, r: bufio.NewReader(client)}
			out := make([][]byte, len(keys))
			p := &mcPipe{client: new(memcache.Client)}
			err := p.readValues(context.Background(), cn, keys, idx, out)
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("error %v, want one saying %q", err, c.err)
			}
			if c.err != "EOF" && !strings.Contains(c.err, "server answered") && !errors.Is(err, errMemcacheProtocol) {
				t.Errorf("error %v does not wrap errMemcacheProtocol", err)
			}
		})
	}
}

// TestStoreCancelsBulk: a Store with a selector stops its bulk forms at a
// cancel on its own (so the Cancelable wrapper calls them directly), and
// one without cannot (gomemcache's GetMulti takes no context).
func TestStoreCancelsBulk(t *testing.T) {
	ss := new(memcache.ServerList)
	if err := ss.SetServers("127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	c := memcache.NewFromSelector(ss)
	if !New(c, WithSelector(ss)).CancelsBulk() {
		t.Error("Memcache with a selector: the wrapper would run its bulk reads in a goroutine")
	}
	if New(c).CancelsBulk() {
		t.Error("Memcache without a selector: the wrapper would call GetMulti directly, which cannot stop at a cancel")
	}
}

// FuzzReadValues feeds the bulk reader arbitrary answers: it returns values
// or an error, never panics, and a value it returns is one the answer
// carried for a key that was asked for.
func FuzzReadValues(f *testing.F) {
	f.Add([]byte("VALUE a 0 1\r\nv\r\nVALUE c 0 0\r\n\r\nEND\r\n"))
	f.Add([]byte("VALUE b 5 3 77\r\nxyz\r\nEND\r\n"))
	f.Add([]byte("VALUE a 0 4294967296\r\n"))
	f.Add([]byte("SERVER_ERROR out of memory\r\n"))
	f.Add([]byte("VALUE a 0 1\r\nv\r\nVALUE a 0 1\r\nw\r\nEND\r\n"))
	keys := []string{"a", "b", "c", "a"}
	idx := []int{0, 1, 2, 3}
	f.Fuzz(func(t *testing.T, answer []byte) {
		client, server := net.Pipe()
		defer client.Close()
		go func() {
			_, _ = server.Write(answer)
			server.Close()
		}()
		cn := &mcConn{nc: client, r: bufio.NewReader(client)}
		out := make([][]byte, len(keys))
		p := &mcPipe{client: new(memcache.Client)}
		if err := p.readValues(context.Background(), cn, keys, idx, out); err != nil {
			return
		}
		for i, v := range out {
			if v != nil && !bytes.Contains(answer, v) {
				t.Fatalf("value %q for %s is not in the answer %q", v, keys[i], answer)
			}
		}
	})
}

// TestReadN: exact reads at every size around the chunk, and an announced
// size far beyond what arrives costs about what arrived, not the size.
func TestReadN(t *testing.T) {
	for _, n := range []int{0, 1, mcChunk - 1, mcChunk, mcChunk + 1, 3*mcChunk + 7} {
		src := bytes.Repeat([]byte{'x'}, n)
		b, err := readN(bytes.NewReader(append(src, "tail"...)), n)
		if err != nil || !bytes.Equal(b, src) {
			t.Fatalf("readN(%d) = %d bytes, %v", n, len(b), err)
		}
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	_, err := readN(bytes.NewReader(make([]byte, 10)), mcMaxValue)
	runtime.ReadMemStats(&ms1)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("readN of 1 GiB from 10 bytes: %v", err)
	}
	if got := ms1.TotalAlloc - ms0.TotalAlloc; got > 4*mcChunk {
		t.Errorf("readN of an announced 1 GiB with 10 bytes sent allocated %d bytes", got)
	}
}
