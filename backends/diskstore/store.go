package diskstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/storeutil"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// FileName is the name of the database file that a Disk backend keeps in
// its directory.
const FileName = "ring.db"

// MaxKeySize is the longest key a Disk backend stores, in bytes (bbolt's
// key limit less the bytes of the expiry index).
const MaxKeySize = bolt.MaxKeySize - diskOrderHeader

const (
	diskFormat       = 1
	diskRecordHeader = 1 + 8 + 8 // format, expiry, write sequence
	diskOrderHeader  = 8 + 8     // expiry, write sequence
	// diskSweepLimit bounds how many expired entries one write removes
	// when the size bound does not force it to remove more.
	diskSweepLimit = 256
	// diskClearBatch is how many keys one transaction of Clear removes.
	diskClearBatch = 10000
)

// DefaultLockTimeout is how long New waits for the file lock when no
// WithLockTimeout is given.
const DefaultLockTimeout = time.Second

var (
	diskEntries    = []byte("entries")
	diskOrder      = []byte("order")
	diskMeta       = []byte("meta")
	diskMetaBytes  = []byte("bytes")
	diskMetaFormat = []byte("format")
)

// Option configures a Disk backend.
type Option interface {
	applyDisk(*diskConfig)
	String() string
}

type diskConfig struct {
	maxBytes    int64
	lockTimeout time.Duration
	now         func() time.Time
}

type diskMaxBytesOption int64

func (o diskMaxBytesOption) applyDisk(c *diskConfig) { c.maxBytes = int64(o) }
func (o diskMaxBytesOption) String() string {
	return "WithMaxBytes(" + strconv.FormatInt(int64(o), 10) + ")"
}

// WithMaxBytes bounds the bytes a Disk backend keeps, counted as the sum of
// the lengths of every stored key and value (0, the default: no bound). A
// write that takes the total over n evicts older entries, see [Store].
func WithMaxBytes(n int64) Option { return diskMaxBytesOption(n) }

type diskLockTimeoutOption time.Duration

func (o diskLockTimeoutOption) applyDisk(c *diskConfig) { c.lockTimeout = time.Duration(o) }
func (o diskLockTimeoutOption) String() string {
	return "WithLockTimeout(" + time.Duration(o).String() + ")"
}

// WithLockTimeout sets how long New waits for the database file's lock
// when another process holds it (default one second; 0 waits for ever).
func WithLockTimeout(d time.Duration) Option { return diskLockTimeoutOption(d) }

type diskClockOption struct{ now func() time.Time }

func (o diskClockOption) applyDisk(c *diskConfig) { c.now = o.now }
func (diskClockOption) String() string            { return "WithClock(func)" }

// WithClock makes a Disk backend read the time from now instead of
// time.Now, so that tests can move time forward.
func WithClock(now func() time.Time) Option { return diskClockOption{now: now} }

// Disk is a persistent bytes backend: one bbolt database file (pure Go,
// single file, ACID transactions) in a directory. Entries survive Close and
// reopening, and carry their own expiry.
//
// Every capability is native and every bulk form runs in one transaction.
// Clear walks the keys with the prefix from a cursor Seek. Disk is safe for
// concurrent use by the goroutines of one process. Within a process, every
// New of one directory shares one open file (see [New]); bbolt locks
// the file against other processes, so a second process waits up to the
// lock timeout and then fails.
//
// Expiry: each record holds its expiry (Unix nanoseconds). An expired entry
// is a miss at once; it is removed from the file by the writes that follow
// (each write transaction removes up to 256 expired entries, oldest expiry
// first) or when the size bound needs the room.
//
// Size bound (see [WithMaxBytes]): the bound counts the bytes of keys and
// values. When a write takes the total over it, Disk evicts entries in this
// order until the total fits: expired entries first, then the entries
// closest to their expiry, then the entries without expiry, oldest written
// first. Entries written by the same call are never evicted to make room for
// each other: a single call whose own entries exceed the bound fails and
// writes nothing. The file itself is larger than the bound (bbolt pages and
// free pages; bbolt reuses free pages but never shrinks the file).
//
// Keys may be empty and hold any bytes, up to [MaxKeySize] bytes.
type Store struct {
	db       *bolt.DB
	file     *diskFile
	maxBytes int64
	now      func() time.Time

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// diskFile is one open database file, shared by every Disk of its path in
// this process: bbolt's lock is per process, so a second bolt.Open of the
// same file from the same process would wait for a lock it already holds.
type diskFile struct {
	path     string
	info     os.FileInfo
	db       *bolt.DB
	maxBytes int64
	refs     int
}

// diskFiles holds the open files of this process by path. It is the one
// process-wide table of the package: file locks are process-wide too.
var diskFiles struct {
	mu    sync.Mutex
	files []*diskFile
}

// sharedDiskFile returns the open file at path (the same file under another
// name included: a symbolic or hard link), or nil.
func sharedDiskFile(path string) *diskFile {
	info, statErr := os.Stat(path)
	for _, f := range diskFiles.files {
		if f.path == path || (statErr == nil && os.SameFile(f.info, info)) {
			return f
		}
	}
	return nil
}

var (
	_ backends.Storage       = (*Store)(nil)
	_ backends.Haser         = (*Store)(nil)
	_ backends.Toucher       = (*Store)(nil)
	_ backends.SetIfAbsenter = (*Store)(nil)
	_ backends.BulkGetter    = (*Store)(nil)
	_ backends.BulkSetter    = (*Store)(nil)
	_ backends.BulkDeleter   = (*Store)(nil)
	_ backends.BulkHaser     = (*Store)(nil)
	_ backends.BulkToucher   = (*Store)(nil)
	_ backends.Clearer       = (*Store)(nil)
	_ backends.Closer        = (*Store)(nil)
	_ backends.Remover       = (*Store)(nil)
)

// New opens the Disk backend kept in directory dir, creating the
// directory (mode 0700) and its database file [FileName] (mode 0600)
// when they do not exist. Close it when done: it holds the file's lock.
//
// Within one process, New of a directory that is already open (under
// the same path, a symbolic link to it, or a hard link to its file) does
// not open the file again: it returns a new Disk over the same open file,
// at once. The file is closed when the last of them is closed. A second
// New must then ask for the same [WithMaxBytes] bound as the first, or
// it fails at once saying so. Another process that holds the file makes
// New wait up to [WithLockTimeout] and then fail.
func New(dir string, opts ...Option) (*Store, error) {
	c := diskConfig{lockTimeout: DefaultLockTimeout, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o.applyDisk(&c)
		}
	}
	switch {
	case dir == "":
		return nil, errors.New("ring: backend disk: empty directory path")
	case c.maxBytes < 0:
		return nil, fmt.Errorf("ring: backend disk: negative size bound %d", c.maxBytes)
	case c.lockTimeout < 0:
		return nil, fmt.Errorf("ring: backend disk: negative lock timeout %v", c.lockTimeout)
	case c.now == nil:
		return nil, errors.New("ring: backend disk: nil clock")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ring: backend disk: %w", err)
	}
	path, err := diskPath(dir)
	if err != nil {
		return nil, fmt.Errorf("ring: backend disk: %w", err)
	}
	diskFiles.mu.Lock()
	defer diskFiles.mu.Unlock()
	if f := sharedDiskFile(path); f != nil {
		if f.maxBytes != c.maxBytes {
			return nil, fmt.Errorf("ring: backend disk: %q is already open in this process with WithMaxBytes(%d); a second New of it must ask for the same bound, not WithMaxBytes(%d) (or share the first backend)",
				f.path, f.maxBytes, c.maxBytes)
		}
		f.refs++
		return &Store{db: f.db, file: f, maxBytes: c.maxBytes, now: c.now}, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      c.lockTimeout,
		FreelistType: bolt.FreelistMapType,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("ring: backend disk: open %q: the file is locked by another process (waited %v): %w", path, c.lockTimeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("ring: backend disk: open %q: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{diskEntries, diskOrder, diskMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(diskMeta)
		switch f := meta.Get(diskMetaFormat); {
		case f == nil:
			return meta.Put(diskMetaFormat, []byte{diskFormat})
		case len(f) != 1 || f[0] != diskFormat:
			return fmt.Errorf("unknown format %v (this version reads format %d)", f, diskFormat)
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("ring: backend disk: open %q: %w", path, err)
	}
	f := &diskFile{path: path, db: db, maxBytes: c.maxBytes, refs: 1}
	if f.info, err = os.Stat(path); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("ring: backend disk: open %q: %w", path, err)
	}
	diskFiles.files = append(diskFiles.files, f)
	return &Store{db: db, file: f, maxBytes: c.maxBytes, now: c.now}, nil
}

// diskPath returns the absolute path of the database file in dir, with
// symbolic links of the directory resolved, so that two spellings of one
// directory share one open file.
func diskPath(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return filepath.Join(abs, FileName), nil
}

// Name returns "disk".
func (*Store) Name() string { return "disk" }

// Bytes returns true: Disk stores []byte values.
func (*Store) Bytes() bool { return true }

// Raw returns the *bbolt.DB underneath. Its buckets "entries", "order" and
// "meta" hold Disk's own format: read them, do not write them.
func (d *Store) Raw() any { return d.db }

// MaxBytes returns the bound on stored bytes (WithMaxBytes), 0 for none.
func (d *Store) MaxBytes() int64 { return d.maxBytes }

// Path returns the path of the database file.
func (d *Store) Path() string { return d.db.Path() }

// Close releases this Disk; the last Disk of its file (see [New])
// closes the file and releases its lock. Calls after Close return errors; a
// second Close returns the first one's result.
func (d *Store) Close() error {
	d.closeOnce.Do(func() {
		d.closed.Store(true)
		diskFiles.mu.Lock()
		defer diskFiles.mu.Unlock()
		if d.file.refs--; d.file.refs > 0 {
			return
		}
		diskFiles.files = slices.DeleteFunc(diskFiles.files, func(f *diskFile) bool { return f == d.file })
		if err := d.db.Close(); err != nil {
			d.closeErr = fmt.Errorf("ring: backend disk: close: %w", err)
		}
	})
	return d.closeErr
}

// errDiskClosed is returned by the operations of a closed Disk.
var errDiskClosed = errors.New("disk backend is closed")

// check is the first step of every operation: a Disk that is not closed
// (its file may still be open for other Disks) and a live context.
func (d *Store) check(ctx context.Context) error {
	if d.closed.Load() {
		return errDiskClosed
	}
	return ctx.Err()
}

// StoredBytes returns the total the size bound counts: the bytes of every
// stored key and value, expired entries not yet removed included.
func (d *Store) StoredBytes() (int64, error) {
	var n int64
	if d.closed.Load() {
		return 0, fmt.Errorf("ring: backend disk: stored bytes: %w", errDiskClosed)
	}
	err := d.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(diskMeta)
		if b == nil {
			return errors.New("bucket meta missing")
		}
		n = diskUint(b.Get(diskMetaBytes))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("ring: backend disk: stored bytes: %w", err)
	}
	return n, nil
}

func diskUint(b []byte) int64 {
	if len(b) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

func (d *Store) fail(op, key string, err error) error {
	return fmt.Errorf("ring: backend disk: %s %s: %w", op, storeutil.QuoteKey(key), err)
}

func (d *Store) failN(op string, n int, err error) error {
	return fmt.Errorf("ring: backend disk: %s (%d keys): %w", op, n, err)
}

func diskEntryKey(key string) []byte {
	b := make([]byte, 1+len(key))
	b[0] = 'k'
	copy(b[1:], key)
	return b
}

func diskOrderKey(exp int64, seq uint64, key string) []byte {
	b := make([]byte, diskOrderHeader+len(key))
	o := uint64(math.MaxUint64) // no expiry: after every expiry
	if exp != 0 {
		o = uint64(exp)
	}
	binary.BigEndian.PutUint64(b, o)
	binary.BigEndian.PutUint64(b[8:], seq)
	copy(b[diskOrderHeader:], key)
	return b
}

func diskRecord(exp int64, seq uint64, value []byte) []byte {
	b := make([]byte, diskRecordHeader+len(value))
	b[0] = diskFormat
	binary.BigEndian.PutUint64(b[1:], uint64(exp))
	binary.BigEndian.PutUint64(b[9:], seq)
	copy(b[diskRecordHeader:], value)
	return b
}

// diskParse splits a record; the value aliases rec.
func diskParse(rec []byte) (exp int64, seq uint64, value []byte, err error) {
	if len(rec) < diskRecordHeader || rec[0] != diskFormat {
		return 0, 0, nil, fmt.Errorf("corrupt record of %d bytes", len(rec))
	}
	return int64(binary.BigEndian.Uint64(rec[1:])), binary.BigEndian.Uint64(rec[9:]), rec[diskRecordHeader:], nil
}

func (d *Store) expiry(ttl time.Duration) int64 {
	if ttl == 0 {
		return 0
	}
	return d.now().Add(ttl).UnixNano()
}

// diskReader reads entries in a read-only transaction.
type diskReader struct {
	entries *bolt.Bucket
	now     int64
}

func (d *Store) view(ctx context.Context, fn func(r diskReader) error) error {
	if err := d.check(ctx); err != nil {
		return err
	}
	return d.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(diskEntries)
		if b == nil {
			return errors.New("bucket entries missing")
		}
		return fn(diskReader{entries: b, now: d.now().UnixNano()})
	})
}

// get returns the live value under key, aliasing the database's memory.
func (r diskReader) get(key string) ([]byte, bool, error) {
	rec := r.entries.Get(diskEntryKey(key))
	if rec == nil {
		return nil, false, nil
	}
	exp, _, v, err := diskParse(rec)
	if err != nil {
		return nil, false, err
	}
	if exp != 0 && r.now >= exp {
		return nil, false, nil
	}
	return v, true, nil
}

// diskWriter changes entries in a read-write transaction and keeps the byte
// total and the expiry index in step.
type diskWriter struct {
	diskReader
	order, meta *bolt.Bucket
	total       int64
	maxBytes    int64
	firstSeq    uint64 // the first write sequence of this transaction, 0 if none
}

func (d *Store) update(ctx context.Context, fn func(w *diskWriter) error) error {
	if err := d.check(ctx); err != nil {
		return err
	}
	return d.db.Update(func(tx *bolt.Tx) error {
		w := &diskWriter{
			diskReader: diskReader{entries: tx.Bucket(diskEntries), now: d.now().UnixNano()},
			order:      tx.Bucket(diskOrder),
			meta:       tx.Bucket(diskMeta),
			maxBytes:   d.maxBytes,
		}
		if w.entries == nil || w.order == nil || w.meta == nil {
			return errors.New("buckets missing")
		}
		w.total = diskUint(w.meta.Get(diskMetaBytes))
		if err := fn(w); err != nil {
			return err
		}
		if err := w.evict(); err != nil {
			return err
		}
		t := make([]byte, 8)
		binary.BigEndian.PutUint64(t, uint64(w.total))
		return w.meta.Put(diskMetaBytes, t)
	})
}

func (w *diskWriter) checkEntry(key string, value []byte) error {
	if len(key) > MaxKeySize {
		return fmt.Errorf("key of %d bytes is longer than the limit of %d", len(key), MaxKeySize)
	}
	if n := int64(len(key) + len(value)); w.maxBytes > 0 && n > w.maxBytes {
		return fmt.Errorf("entry of %d bytes is larger than the size bound of %d bytes", n, w.maxBytes)
	}
	return nil
}

func (w *diskWriter) put(key string, value []byte, exp int64) error {
	if err := w.checkEntry(key, value); err != nil {
		return err
	}
	if err := w.remove(key); err != nil {
		return err
	}
	seq, err := w.entries.NextSequence()
	if err != nil {
		return err
	}
	if w.firstSeq == 0 {
		w.firstSeq = seq
	}
	if err := w.entries.Put(diskEntryKey(key), diskRecord(exp, seq, value)); err != nil {
		return err
	}
	if err := w.order.Put(diskOrderKey(exp, seq, key), nil); err != nil {
		return err
	}
	w.total += int64(len(key) + len(value))
	return nil
}

// remove deletes the entry under key, live or expired, if there is one.
func (w *diskWriter) remove(key string) error {
	ek := diskEntryKey(key)
	rec := w.entries.Get(ek)
	if rec == nil {
		return nil
	}
	exp, seq, v, err := diskParse(rec)
	if err != nil {
		return err
	}
	w.total -= int64(len(key) + len(v))
	if err := w.order.Delete(diskOrderKey(exp, seq, key)); err != nil {
		return err
	}
	return w.entries.Delete(ek)
}

// touch gives the live entry under key a new expiry and keeps its write
// sequence.
func (w *diskWriter) touch(key string, exp int64) error {
	ek := diskEntryKey(key)
	rec := w.entries.Get(ek)
	if rec == nil {
		return nil
	}
	old, seq, v, err := diskParse(rec)
	if err != nil {
		return err
	}
	if old != 0 && w.now >= old {
		return nil // expired: absent, and stays absent
	}
	if err := w.order.Delete(diskOrderKey(old, seq, key)); err != nil {
		return err
	}
	if err := w.entries.Put(ek, diskRecord(exp, seq, v)); err != nil {
		return err
	}
	return w.order.Put(diskOrderKey(exp, seq, key), nil)
}

// evict removes expired entries (up to diskSweepLimit unless the bound needs
// more) and, while the total is over the bound, the entries first in expiry
// order that this transaction did not write.
func (w *diskWriter) evict() error {
	var victims []string
	var freed int64
	swept := 0
	c := w.order.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) < diskOrderHeader {
			return fmt.Errorf("corrupt index key of %d bytes", len(k))
		}
		exp := binary.BigEndian.Uint64(k)
		seq := binary.BigEndian.Uint64(k[8:])
		expired := exp != math.MaxUint64 && int64(exp) <= w.now
		over := w.maxBytes > 0 && w.total-freed > w.maxBytes
		if !over && (!expired || swept >= diskSweepLimit) {
			break
		}
		if !expired && w.firstSeq != 0 && seq >= w.firstSeq {
			continue // written by this transaction
		}
		key := string(k[diskOrderHeader:])
		rec := w.entries.Get(diskEntryKey(key))
		if rec == nil {
			return fmt.Errorf("index names %s, which has no record", storeutil.QuoteKey(key))
		}
		freed += int64(len(key) + len(rec) - diskRecordHeader)
		if expired {
			swept++
		}
		victims = append(victims, key)
	}
	for _, key := range victims {
		if err := w.remove(key); err != nil {
			return err
		}
	}
	if w.maxBytes > 0 && w.total > w.maxBytes {
		return fmt.Errorf("the entries written take %d bytes in all, over the size bound of %d bytes", w.total, w.maxBytes)
	}
	return nil
}

// Get returns a copy of the value under key; an expired entry is a miss.
func (d *Store) Get(ctx context.Context, key string) (any, bool, error) {
	var out []byte
	var found bool
	err := d.view(ctx, func(r diskReader) error {
		v, ok, err := r.get(key)
		if ok {
			out, found = append([]byte{}, v...), true
		}
		return err
	})
	if err != nil {
		return nil, false, d.fail("get", key, err)
	}
	if !found {
		return nil, false, nil
	}
	return out, true, nil
}

// Set stores value, which must be a []byte, under key.
func (d *Store) Set(ctx context.Context, key string, value any, ttl time.Duration) error {
	if err := backends.CheckTTL(d, ttl); err != nil {
		return err
	}
	b, err := storeutil.BytesValue(d.Name(), "set", key, value)
	if err != nil {
		return err
	}
	exp := d.expiry(ttl)
	if err := d.update(ctx, func(w *diskWriter) error { return w.put(key, b, exp) }); err != nil {
		return fmt.Errorf("ring: backend disk: set %s (%d bytes): %w", storeutil.QuoteKey(key), len(b), err)
	}
	return nil
}

// Delete removes key.
func (d *Store) Delete(ctx context.Context, key string) error {
	if err := d.update(ctx, func(w *diskWriter) error { return w.remove(key) }); err != nil {
		return d.fail("delete", key, err)
	}
	return nil
}

// Remove deletes key and reports whether a live entry was there, in one
// transaction.
func (d *Store) Remove(ctx context.Context, key string) (bool, error) {
	var existed bool
	err := d.update(ctx, func(w *diskWriter) error {
		var err error
		if _, existed, err = w.get(key); err != nil {
			return err
		}
		return w.remove(key)
	})
	if err != nil {
		return false, d.fail("remove", key, err)
	}
	return existed, nil
}

// Has reports whether a live entry is under key.
func (d *Store) Has(ctx context.Context, key string) (bool, error) {
	var found bool
	err := d.view(ctx, func(r diskReader) error {
		var err error
		_, found, err = r.get(key)
		return err
	})
	if err != nil {
		return false, d.fail("has", key, err)
	}
	return found, nil
}

// Touch gives the live entry under key a new expiry (0: none). An absent or
// expired key stays absent.
func (d *Store) Touch(ctx context.Context, key string, ttl time.Duration) error {
	if err := backends.CheckTTL(d, ttl); err != nil {
		return err
	}
	exp := d.expiry(ttl)
	if err := d.update(ctx, func(w *diskWriter) error { return w.touch(key, exp) }); err != nil {
		return d.fail("touch", key, err)
	}
	return nil
}

// SetIfAbsent stores value under key only when no live entry is there, and
// reports whether it did.
func (d *Store) SetIfAbsent(ctx context.Context, key string, value any, ttl time.Duration) (bool, error) {
	if err := backends.CheckTTL(d, ttl); err != nil {
		return false, err
	}
	b, err := storeutil.BytesValue(d.Name(), "set if absent", key, value)
	if err != nil {
		return false, err
	}
	exp := d.expiry(ttl)
	var written bool
	err = d.update(ctx, func(w *diskWriter) error {
		if _, ok, err := w.get(key); err != nil || ok {
			return err
		}
		written = true
		return w.put(key, b, exp)
	})
	if err != nil {
		return false, fmt.Errorf("ring: backend disk: set if absent %s (%d bytes): %w", storeutil.QuoteKey(key), len(b), err)
	}
	return written, nil
}

// GetMany reads keys in one transaction.
func (d *Store) GetMany(ctx context.Context, keys []string) ([]any, []bool, error) {
	values := make([]any, len(keys))
	found := make([]bool, len(keys))
	err := d.view(ctx, func(r diskReader) error {
		for i, k := range keys {
			v, ok, err := r.get(k)
			if err != nil {
				return fmt.Errorf("key %s: %w", storeutil.QuoteKey(k), err)
			}
			if ok {
				values[i], found[i] = append([]byte{}, v...), true
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, d.failN("get many", len(keys), err)
	}
	return values, found, nil
}

// SetMany stores the entries in one transaction: all or none. Every value
// must be a []byte.
func (d *Store) SetMany(ctx context.Context, keys []string, values []any, ttl time.Duration) error {
	if err := backends.CheckTTL(d, ttl); err != nil {
		return err
	}
	if len(keys) != len(values) {
		return fmt.Errorf("ring: backend disk: set many: %d keys but %d values", len(keys), len(values))
	}
	bs := make([][]byte, len(values))
	for i, v := range values {
		var err error
		if bs[i], err = storeutil.BytesValue(d.Name(), "set many", keys[i], v); err != nil {
			return err
		}
	}
	exp := d.expiry(ttl)
	err := d.update(ctx, func(w *diskWriter) error {
		for i, k := range keys {
			if err := w.put(k, bs[i], exp); err != nil {
				return fmt.Errorf("key %s (%d bytes): %w", storeutil.QuoteKey(k), len(bs[i]), err)
			}
		}
		return nil
	})
	if err != nil {
		return d.failN("set many", len(keys), err)
	}
	return nil
}

// DeleteMany removes keys in one transaction.
func (d *Store) DeleteMany(ctx context.Context, keys []string) error {
	err := d.update(ctx, func(w *diskWriter) error {
		for _, k := range keys {
			if err := w.remove(k); err != nil {
				return fmt.Errorf("key %s: %w", storeutil.QuoteKey(k), err)
			}
		}
		return nil
	})
	if err != nil {
		return d.failN("delete many", len(keys), err)
	}
	return nil
}

// HasMany tests keys in one transaction.
func (d *Store) HasMany(ctx context.Context, keys []string) ([]bool, error) {
	out := make([]bool, len(keys))
	err := d.view(ctx, func(r diskReader) error {
		for i, k := range keys {
			_, ok, err := r.get(k)
			if err != nil {
				return fmt.Errorf("key %s: %w", storeutil.QuoteKey(k), err)
			}
			out[i] = ok
		}
		return nil
	})
	if err != nil {
		return nil, d.failN("has many", len(keys), err)
	}
	return out, nil
}

// TouchMany gives every live key a new expiry in one transaction.
func (d *Store) TouchMany(ctx context.Context, keys []string, ttl time.Duration) error {
	if err := backends.CheckTTL(d, ttl); err != nil {
		return err
	}
	exp := d.expiry(ttl)
	err := d.update(ctx, func(w *diskWriter) error {
		for _, k := range keys {
			if err := w.touch(k, exp); err != nil {
				return fmt.Errorf("key %s: %w", storeutil.QuoteKey(k), err)
			}
		}
		return nil
	})
	if err != nil {
		return d.failN("touch many", len(keys), err)
	}
	return nil
}

// Clear removes every key that starts with prefix (and passes match, when it
// is not nil), found from a cursor Seek to the prefix, in transactions that
// each look at up to 10000 keys.
func (d *Store) Clear(ctx context.Context, prefix string, match func(string) bool) error {
	pfx := diskEntryKey(prefix)
	from := pfx // where the next transaction's walk starts
	for {
		seen := 0
		err := d.update(ctx, func(w *diskWriter) error {
			var keys []string
			c := w.entries.Cursor()
			k, _ := c.Seek(from)
			for ; k != nil && bytes.HasPrefix(k, pfx) && seen < diskClearBatch; k, _ = c.Next() {
				seen++
				if key := string(k[1:]); match == nil || match(key) {
					keys = append(keys, key)
				}
			}
			if k != nil {
				from = bytes.Clone(k) // the first key not looked at
			}
			for _, k := range keys {
				if err := w.remove(k); err != nil {
					return fmt.Errorf("key %s: %w", storeutil.QuoteKey(k), err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("ring: backend disk: clear prefix %s: %w", storeutil.QuoteKey(prefix), err)
		}
		if seen < diskClearBatch {
			return nil
		}
	}
}
