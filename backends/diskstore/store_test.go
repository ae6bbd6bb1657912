package diskstore_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/backendtest"
	"github.com/ringcache/ring/backends/diskstore"
)

func newDisk(t testing.TB, dir string, opts ...diskstore.Option) *diskstore.Store {
	t.Helper()
	d, err := diskstore.New(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func TestDiskConformance(t *testing.T) {
	d := newDisk(t, t.TempDir())
	backendtest.Run(t, func(*testing.T) backends.Storage { return d }, backendtest.Options{HonoursContext: true})
}

// fakeClock is a clock that tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestDiskSurvivesReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "cache")
	ctx := t.Context()
	d, err := diskstore.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Set(ctx, "persistent", []byte("p"), 0); err != nil {
		t.Fatal(err)
	}
	if err := d.Set(ctx, "expiring", []byte("e"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := d.Set(ctx, "short", []byte("s"), 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	n1, _ := d.StoredBytes()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, _, err := d.Get(ctx, "persistent"); err == nil {
		t.Fatal("Get after Close: no error")
	}
	if _, err := os.Stat(filepath.Join(dir, diskstore.FileName)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond)

	d2 := newDisk(t, dir)
	for k, want := range map[string]string{"persistent": "p", "expiring": "e"} {
		v, ok, err := d2.Get(ctx, k)
		if err != nil || !ok || string(v.([]byte)) != want {
			t.Errorf("after reopen Get %q = %v, %v, %v", k, v, ok, err)
		}
	}
	if ok, _ := d2.Has(ctx, "short"); ok {
		t.Error("an entry that expired while the file was closed is still there")
	}
	if n2, _ := d2.StoredBytes(); n2 != n1 || n1 != int64(len("persistent")+1+len("expiring")+1+len("short")+1) {
		t.Errorf("StoredBytes %d before close, %d after reopen", n1, n2)
	}
	if d2.Raw().(*bolt.DB).Path() != d2.Path() {
		t.Error("Raw is not the bbolt DB")
	}
}

// TestDiskLocked holds the file in another process (this test binary run
// again as TestDiskLockHolder): New waits up to its lock timeout and
// fails naming the lock; once that process is gone it opens.
func TestDiskLocked(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskLockHolder$", "-test.count=1")
	cmd.Env = append(os.Environ(), "RING_DISK_HOLD="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "holding\n" {
		t.Fatalf("the holder process said %q, %v", line, err)
	}
	start := time.Now()
	_, err = diskstore.New(dir, diskstore.WithLockTimeout(100*time.Millisecond))
	if err == nil || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("NewDisk of a file another process holds: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("waited %v for the lock", d)
	}
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("holder process: %v", err)
	}
	newDisk(t, dir, diskstore.WithLockTimeout(time.Second))
}

// TestDiskLockHolder is the other process of TestDiskLocked: it holds the
// Disk named by RING_DISK_HOLD until its standard input closes.
func TestDiskLockHolder(t *testing.T) {
	dir := os.Getenv("RING_DISK_HOLD")
	if dir == "" {
		t.Skip("run by TestDiskLocked as a second process")
	}
	d := newDisk(t, dir)
	fmt.Println("holding")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = d.Close()
}

// TestDiskSharedInProcess opens one directory several times in one process,
// under several names, concurrently: every open succeeds at once and shares
// the file; the file stays open until the last Disk is closed; a different
// size bound is refused at once.
func TestDiskSharedInProcess(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	names := []string{dir, link, dir + "/.", link + "/"}
	disks := make([]*diskstore.Store, 16)
	errs := make([]error, len(disks))
	var wg sync.WaitGroup
	start := time.Now()
	for i := range disks {
		wg.Go(func() {
			disks[i], errs[i] = diskstore.New(names[i%len(names)], diskstore.WithLockTimeout(5*time.Second))
		})
	}
	wg.Wait()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("16 opens of one directory took %v: they waited for the lock", d)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d (%s): %v", i, names[i%len(names)], err)
		}
	}
	if err := disks[0].Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	for i, d := range disks {
		if d.Path() != disks[0].Path() {
			t.Errorf("disk %d has path %s, want %s", i, d.Path(), disks[0].Path())
		}
		if v, ok, err := d.Get(ctx, "k"); err != nil || !ok || string(v.([]byte)) != "v" {
			t.Errorf("disk %d does not see the shared entry: %v %v %v", i, v, ok, err)
		}
	}

	_, err := diskstore.New(dir, diskstore.WithMaxBytes(1<<20))
	if err == nil || !strings.Contains(err.Error(), "already open in this process with WithMaxBytes(0)") {
		t.Errorf("NewDisk with another bound: %v", err)
	}

	// Closing all but one keeps the file open for the last; a closed Disk
	// fails while the others go on.
	for _, d := range disks[1:] {
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := disks[1].Get(ctx, "k"); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Get on a closed Disk: %v", err)
	}
	if _, ok, err := disks[0].Get(ctx, "k"); err != nil || !ok {
		t.Errorf("the last open Disk: %v %v", ok, err)
	}
	if err := disks[0].Close(); err != nil {
		t.Fatal(err)
	}
	// The file is closed now: a new open finds the entry in it.
	d := newDisk(t, dir)
	if _, ok, err := d.Get(ctx, "k"); err != nil || !ok {
		t.Errorf("after reopening: %v %v", ok, err)
	}
}

func TestDiskBadOptions(t *testing.T) {
	for _, c := range []struct {
		dir  string
		opts []diskstore.Option
		want string
	}{
		{"", nil, "empty directory"},
		{t.TempDir(), []diskstore.Option{diskstore.WithMaxBytes(-1)}, "negative size bound -1"},
		{t.TempDir(), []diskstore.Option{diskstore.WithLockTimeout(-time.Second)}, "negative lock timeout"},
	} {
		if _, err := diskstore.New(c.dir, c.opts...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewDisk(%q, %v): %v, want %q", c.dir, c.opts, err, c.want)
		}
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := diskstore.New(file); err == nil {
		t.Error("NewDisk on a regular file: no error")
	}
}

// TestDiskEvictionOrder fills a bounded Disk and checks the documented
// policy: expired first, then closest to expiry, then entries without
// expiry, oldest written first.
func TestDiskEvictionOrder(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	ctx := t.Context()
	// Every entry is a 1-byte key and a 9-byte value: 10 bytes.
	d := newDisk(t, t.TempDir(), diskstore.WithMaxBytes(50), diskstore.WithClock(clock.Now))
	val := []byte("123456789")
	set := func(k string, ttl time.Duration) {
		t.Helper()
		if err := d.Set(ctx, k, val, ttl); err != nil {
			t.Fatal(err)
		}
	}
	set("a", 0)              // persistent, oldest
	set("b", 0)              // persistent
	set("c", time.Hour)      // expires late
	set("d", time.Minute)    // expires soon
	set("e", 10*time.Second) // expires soonest, then expired below
	clock.Add(20 * time.Second)
	present := func(want string) {
		t.Helper()
		var got strings.Builder
		for _, k := range "abcdefgh" {
			if ok, _ := d.Has(ctx, string(k)); ok {
				got.WriteRune(k)
			}
		}
		if got.String() != want {
			t.Fatalf("present keys %q, want %q", got.String(), want)
		}
		if n, _ := d.StoredBytes(); n > 50 {
			t.Fatalf("StoredBytes %d over the bound 50", n)
		}
	}
	present("abcd")  // e has expired
	set("f", 0)      // evicts the expired e
	present("abcdf") // 50 bytes
	set("g", 0)      // evicts d, closest to expiry
	present("abcfg")
	set("h", 0) // evicts c, the last with an expiry
	present("abfgh")
	set("a", 0)      // rewrites a: the same size, nothing evicted
	present("abfgh") //
	set("c", 0)      // evicts b, now the oldest written
	present("acfgh")
	// A Touch moves an entry in the order: f gets an expiry and goes first.
	if err := d.Touch(ctx, "f", time.Hour); err != nil {
		t.Fatal(err)
	}
	set("b", 0)
	present("abcgh")
}

func TestDiskSizeBoundErrors(t *testing.T) {
	ctx := t.Context()
	d := newDisk(t, t.TempDir(), diskstore.WithMaxBytes(100))
	err := d.Set(ctx, "big", make([]byte, 200), 0)
	if err == nil || !strings.Contains(err.Error(), "larger than the size bound of 100 bytes") || !strings.Contains(err.Error(), `"big"`) {
		t.Fatalf("Set over the bound: %v", err)
	}
	if err := d.Set(ctx, "old", make([]byte, 50), 0); err != nil {
		t.Fatal(err)
	}
	// Two entries that fit alone but not together: one call, nothing written.
	err = d.SetMany(ctx, []string{"x", "y"}, []any{make([]byte, 60), make([]byte, 60)}, 0)
	if err == nil || !strings.Contains(err.Error(), "over the size bound") {
		t.Fatalf("SetMany over the bound: %v", err)
	}
	has, _ := d.HasMany(ctx, []string{"old", "x", "y"})
	if !has[0] || has[1] || has[2] {
		t.Fatalf("after a failed SetMany: HasMany = %v, want [true false false]", has)
	}
	long := strings.Repeat("k", diskstore.MaxKeySize+1)
	if err := newDisk(t, t.TempDir()).Set(ctx, long, []byte("v"), 0); err == nil || !strings.Contains(err.Error(), "longer than the limit") {
		t.Fatalf("Set with a key over the limit: %v", err)
	}
}

// TestDiskSweepsExpired checks that writes remove expired entries from the
// file (bounded per write), not only hide them.
func TestDiskSweepsExpired(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	ctx := t.Context()
	d := newDisk(t, t.TempDir(), diskstore.WithClock(clock.Now))
	keys := make([]string, 600)
	vals := make([]any, len(keys))
	for i := range keys {
		keys[i], vals[i] = fmt.Sprintf("k%03d", i), []byte("v")
	}
	if err := d.SetMany(ctx, keys, vals, time.Second); err != nil {
		t.Fatal(err)
	}
	before, _ := d.StoredBytes()
	clock.Add(2 * time.Second)
	if err := d.Set(ctx, "new", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	after, _ := d.StoredBytes()
	if want := before - 256*5 + 4; after != want {
		t.Errorf("after one write: StoredBytes %d, want %d (256 expired entries swept)", after, want)
	}
	for range 3 {
		if err := d.Delete(ctx, "absent"); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := d.StoredBytes(); n != 4 {
		t.Errorf("after more writes: StoredBytes %d, want 4", n)
	}
}

func TestDiskClearManyKeys(t *testing.T) {
	ctx := t.Context()
	d := newDisk(t, t.TempDir())
	n := 10_000 + 5 // more than one Clear transaction
	keys := make([]string, n)
	vals := make([]any, n)
	for i := range keys {
		keys[i], vals[i] = fmt.Sprintf("p:%05d", i), []byte{}
	}
	keys = append(keys, "p", "q:0", "o")
	vals = append(vals, []byte{}, []byte{}, []byte{})
	if err := d.SetMany(ctx, keys, vals, 0); err != nil {
		t.Fatal(err)
	}
	if err := d.Clear(ctx, "p:", nil); err != nil {
		t.Fatal(err)
	}
	has, err := d.HasMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range has {
		if h != (i >= n) {
			t.Fatalf("after Clear: Has(%q) = %v", keys[i], h)
		}
	}
	if b, _ := d.StoredBytes(); b != 1+3+1 {
		t.Errorf("StoredBytes %d after Clear, want 5", b)
	}
}

// TestDiskClearMatchManyKeys keeps most keys of a Clear with a match over
// more than two transactions' worth of keys: each transaction goes on where
// the last one stopped, instead of walking the kept keys again.
func TestDiskClearMatchManyKeys(t *testing.T) {
	ctx := t.Context()
	d := newDisk(t, t.TempDir())
	n := 2*10_000 + 7
	keys := make([]string, n)
	vals := make([]any, n)
	for i := range keys {
		keys[i], vals[i] = fmt.Sprintf("p:%05d", i), []byte{}
	}
	if err := d.SetMany(ctx, keys, vals, 0); err != nil {
		t.Fatal(err)
	}
	calls := 0
	every7 := func(k string) bool {
		calls++
		return strings.HasSuffix(k, "0") || strings.HasSuffix(k, "7")
	}
	if err := d.Clear(ctx, "p:", every7); err != nil {
		t.Fatal(err)
	}
	if calls != n {
		t.Errorf("match called %d times for %d keys", calls, n)
	}
	has, err := d.HasMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range has {
		if h == (i%10 == 0 || i%10 == 7) {
			t.Fatalf("after Clear: Has(%q) = %v", keys[i], h)
		}
	}
}

func TestDiskCorruptFormat(t *testing.T) {
	dir := t.TempDir()
	d, err := diskstore.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = d.Raw().(*bolt.DB).Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("format"), []byte{9})
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	if _, err := diskstore.New(dir); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Fatalf("NewDisk of another format: %v", err)
	}
	if errors.Is(err, backends.ErrNotSupported) {
		t.Error("a format error is not ErrNotSupported")
	}
}

// TestOptionsPrint: the disk options print as they are written.
func TestOptionsPrint(t *testing.T) {
	for _, c := range []struct {
		o    diskstore.Option
		want string
	}{
		{diskstore.WithMaxBytes(5), "WithMaxBytes(5)"},
		{diskstore.WithLockTimeout(time.Second), "WithLockTimeout(1s)"},
		{diskstore.WithClock(time.Now), "WithClock(func)"},
	} {
		if got := c.o.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
}
