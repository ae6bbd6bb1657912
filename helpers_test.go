package ring_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/diskstore"
	"github.com/ringcache/ring/backends/storeurl"
)

// counter counts runs of a wrapped function.
type counter struct{ n atomic.Int64 }

func (c *counter) add()       { c.n.Add(1) }
func (c *counter) get() int64 { return c.n.Load() }

// clock is a settable clock for the in-process backends.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// events collects OnError events.
type events struct {
	mu  sync.Mutex
	all []ring.Event
}

func (e *events) hook(ev ring.Event) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.mu.Unlock()
}

func (e *events) ops() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, len(e.all))
	for i, ev := range e.all {
		out[i] = ev.Op
	}
	return out
}

// faulty wraps a real backend and fails every operation while down is set:
// an error injector for fail-open tests of the in-process path (the remote
// backends are tested against real servers that are really stopped).
type faulty struct {
	backends.Storage
	down  atomic.Bool
	gets  atomic.Int64
	bulks atomic.Int64
}

var errDown = errors.New("backend down")

func (f *faulty) Get(ctx context.Context, key string) (any, bool, error) {
	f.gets.Add(1)
	if f.down.Load() {
		return nil, false, errDown
	}
	return f.Storage.Get(ctx, key)
}

func (f *faulty) Set(ctx context.Context, key string, v any, ttl time.Duration) error {
	if f.down.Load() {
		return errDown
	}
	return f.Storage.Set(ctx, key, v, ttl)
}

func (f *faulty) GetMany(ctx context.Context, keys []string) ([]any, []bool, error) {
	f.bulks.Add(1)
	if f.down.Load() {
		return nil, nil, errDown
	}
	return backends.GetMany(ctx, f.Storage, keys)
}

// price is the function most tests cache: it counts its runs.
func price(c *counter) func(ctx context.Context, item string, qty int) (string, error) {
	return func(ctx context.Context, item string, qty int) (string, error) {
		c.add()
		if item == "fail" {
			return "", fmt.Errorf("no price for %q", item)
		}
		return item + "x" + strconv.Itoa(qty), nil
	}
}

func (f *faulty) Touch(ctx context.Context, key string, ttl time.Duration) error {
	if f.down.Load() {
		return errDown
	}
	return backends.Touch(ctx, f.Storage, key, ttl)
}

// buildCommand builds a program of package main against this module, for
// tests that need a real command (package main as a built program, the
// linker's output): mainGo returns the text of main.go given the program's
// directory. It returns the binary and the directory. It uses only the
// module cache (GOPROXY=off).
func buildCommand(t *testing.T, mainGo func(dir string) string) (bin, dir string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a command")
	}
	root, err := os.Getwd()
	require.NoError(t, err)
	dir = t.TempDir()
	write := func(name, text string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	write("go.mod", "module example.com/tool\n\ngo 1.26\n\nrequire github.com/ringcache/ring v0.0.0\n\nreplace github.com/ringcache/ring => "+root+"\n")
	write("main.go", mainGo(dir))
	bin = filepath.Join(dir, "tool")
	build := exec.Command("go", "build", "-mod=mod", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	return bin, dir
}

// openURL opens the storage raw describes with storeurl.Open, fails tb on
// an error, and returns it as a ring option.
func openURL(tb testing.TB, raw string) ring.Option {
	tb.Helper()
	s, err := storeurl.Open(raw)
	require.NoError(tb, err, "storeurl.Open")
	return ring.Storage(s)
}

// diskOpt opens a disk store in dir (shared with every other open of dir
// in this process) and returns it as a ring option.
func diskOpt(tb testing.TB, dir string, opts ...diskstore.Option) ring.Option {
	tb.Helper()
	s, err := diskstore.New(dir, opts...)
	require.NoError(tb, err, "diskstore.New")
	return ring.Storage(s)
}
