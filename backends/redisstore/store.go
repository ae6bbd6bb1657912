package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/storeutil"
)

// Store is a bytes backend on a go-redis/v9 [redis.UniversalClient]: a single
// node (*redis.Client), a Sentinel-managed master (the *redis.Client that
// redis.NewFailoverClient returns), a Redis Cluster (*redis.ClusterClient)
// or a client-side sharded *redis.Ring all work through this one type.
//
// Every entry is one Redis string key: GET, SET with PX, DEL, EXISTS, PEXPIRE
// and PERSIST, SET NX for SetIfAbsent, MGET for GetMany and pipelines for the
// other bulk forms. On a cluster the keys of a bulk call are grouped by hash
// slot so that no multi-key command spans two slots (no CROSSSLOT error), and
// the per-slot commands run in one pipeline. Clear scans for the prefix with
// SCAN MATCH (on every master of a cluster, on every shard of a ring) and
// removes what it finds with UNLINK; it never flushes the database. A
// key's lease (backends.Leaser, for ring's Lease option) is a string key
// of its own in the key's hash slot (LeaseKey), which Delete, Remove and
// DeleteMany delete with the key.
//
// Expiries are kept in milliseconds; a ttl that is not a whole number of
// milliseconds is rounded up to the next millisecond.
//
// Context: a cancelled or expired ctx is checked before every call and while
// go-redis waits for a pooled connection. During network I/O go-redis bounds
// a call by the client's ReadTimeout and WriteTimeout and, only when the
// client was built with ContextTimeoutEnabled (as storeurl.Open does), also by the
// ctx deadline.
//
// Store is safe for concurrent use.
type Store struct {
	client  redis.UniversalClient
	cluster *redis.ClusterClient
	ring    *redis.Ring
	owned   bool    // made by Own: Close closes client
	pipe    apState // AutoPipeline

	// The Track subscriptions (tracking.go), stopped by Close.
	trackMu sync.Mutex
	tracks  map[*tracking]struct{}
	closed  bool
}

// New returns a Redis backend on client, configured by opts
// ([AutoPipeline]). The client stays the caller's: [Store.Close] leaves it
// open.
func New(client redis.UniversalClient, opts ...Option) *Store {
	return newStore(client, false, opts)
}

// Own returns a Store on client that owns it: [Store.Close] closes
// client too (storeurl.Open makes its backends so).
func Own(client redis.UniversalClient, opts ...Option) *Store { return newStore(client, true, opts) }

func newStore(client redis.UniversalClient, owned bool, opts []Option) *Store {
	r := &Store{client: client, owned: owned}
	switch c := client.(type) {
	case *redis.ClusterClient:
		r.cluster = c
	case *redis.Ring:
		r.ring = c
	}
	for _, o := range opts {
		if o != nil {
			o.apply(r)
		}
	}
	return r
}

func redisStopsAtDeadline(client redis.UniversalClient) bool {
	switch c := client.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	}
	return false
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

// Name returns "redis".
func (*Store) Name() string { return "redis" }

// Bytes returns true: Redis stores []byte values.
func (*Store) Bytes() bool { return true }

// Raw returns the redis.UniversalClient given to New.
func (r *Store) Raw() any { return r.client }

// Close stops the Track subscriptions and closes the client when
// storeurl.Open (or Own) made it; a client given to New stays open for its
// owner to close.
func (r *Store) Close() error {
	r.stopTracking()
	if !r.owned || r.client == nil {
		return nil
	}
	if err := r.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("ring: backend redis: close: %w", err)
	}
	return nil
}

// ready checks what every call needs before it reaches the network.
func (r *Store) ready(ctx context.Context, op string) error {
	return storeutil.Ready(ctx, "redis", op, r.client != nil)
}

func (r *Store) fail(op, key string, err error) error {
	return fmt.Errorf("ring: backend redis: %s %s: %w", op, storeutil.QuoteKey(key), err)
}

func (r *Store) failN(op string, n int, err error) error {
	return fmt.Errorf("ring: backend redis: %s (%d keys): %w", op, n, err)
}

// Get returns the bytes under key; a missing key is a miss.
func (r *Store) Get(ctx context.Context, key string) (any, bool, error) {
	if err := r.ready(ctx, "get"); err != nil {
		return nil, false, err
	}
	cmd := redis.NewStringCmd(ctx, "get", key)
	err := r.process(ctx, cmd) // the reply's error; only then may cmd be read
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, r.fail("get", key, err)
	}
	return ownedBytes(cmd.Val()), true, nil
}

// Set stores value, which must be a []byte, under key with SET (PX ttl when
// ttl is positive).
func (r *Store) Set(ctx context.Context, key string, value any, ttl time.Duration) error {
	if err := r.ready(ctx, "set"); err != nil {
		return err
	}
	if err := backends.CheckTTL(r, ttl); err != nil {
		return err
	}
	b, err := storeutil.BytesValue(r.Name(), "set", key, value)
	if err != nil {
		return err
	}
	if err := r.process(ctx, redis.NewStatusCmd(ctx, setArgs(key, b, ceilMillis(ttl), false)...)); err != nil {
		return r.fail("set", key, err)
	}
	return nil
}

// Delete removes key and its lease (LeaseKey, in the same slot) with one
// DEL.
func (r *Store) Delete(ctx context.Context, key string) error {
	if err := r.ready(ctx, "delete"); err != nil {
		return err
	}
	if err := r.process(ctx, redis.NewIntCmd(ctx, "del", key, LeaseKey(key))); err != nil {
		return r.fail("delete", key, err)
	}
	return nil
}

// Remove deletes key and its lease and reports whether key was there,
// in one round trip (a pipeline of two DELs).
func (r *Store) Remove(ctx context.Context, key string) (bool, error) {
	if err := r.ready(ctx, "remove"); err != nil {
		return false, err
	}
	return r.removeLeased(ctx, key)
}

// Has reports whether key exists, with EXISTS.
func (r *Store) Has(ctx context.Context, key string) (bool, error) {
	if err := r.ready(ctx, "has"); err != nil {
		return false, err
	}
	cmd := redis.NewIntCmd(ctx, "exists", key)
	if err := r.process(ctx, cmd); err != nil {
		return false, r.fail("has", key, err)
	}
	return cmd.Val() > 0, nil
}

// Touch gives key a new expiry with PEXPIRE, or removes its expiry with
// PERSIST when ttl is zero. An absent key stays absent.
func (r *Store) Touch(ctx context.Context, key string, ttl time.Duration) error {
	if err := r.ready(ctx, "touch"); err != nil {
		return err
	}
	if err := backends.CheckTTL(r, ttl); err != nil {
		return err
	}
	var cmd *redis.BoolCmd
	if ttl == 0 {
		cmd = redis.NewBoolCmd(ctx, "persist", key)
	} else {
		cmd = redis.NewBoolCmd(ctx, "pexpire", key, strconv.FormatInt(int64(ceilMillis(ttl)/time.Millisecond), 10))
	}
	if err := r.process(ctx, cmd); err != nil {
		return r.fail("touch", key, err)
	}
	return nil
}

// SetIfAbsent stores value under key with SET NX and reports whether it was
// written.
func (r *Store) SetIfAbsent(ctx context.Context, key string, value any, ttl time.Duration) (bool, error) {
	if err := r.ready(ctx, "set if absent"); err != nil {
		return false, err
	}
	if err := backends.CheckTTL(r, ttl); err != nil {
		return false, err
	}
	b, err := storeutil.BytesValue(r.Name(), "set if absent", key, value)
	if err != nil {
		return false, err
	}
	cmd := redis.NewBoolCmd(ctx, setArgs(key, b, ceilMillis(ttl), true)...)
	if err := r.process(ctx, cmd); err != nil && !errors.Is(err, redis.Nil) {
		return false, r.fail("set if absent", key, err)
	}
	return cmd.Val(), nil
}

// maxKeysPerCommand bounds the keys of one MGET or DEL so that a huge bulk
// call does not build one huge command.
const maxKeysPerCommand = 512

// groups splits the indices of keys into groups that one multi-key command
// may address: one group (chunked) on a single node, one group per hash slot
// on a cluster, one group per key on a client-side sharded ring (whose
// shards are not known per key).
func (r *Store) groups(keys []string) [][]int {
	var out [][]int
	switch {
	case r.ring != nil:
		out = make([][]int, len(keys))
		for i := range keys {
			out[i] = []int{i}
		}
		return out
	case r.cluster != nil:
		bySlot := make(map[int]int) // slot -> index in out
		for i, k := range keys {
			s := redisSlot(k)
			g, ok := bySlot[s]
			if !ok || len(out[g]) == maxKeysPerCommand {
				g = len(out)
				bySlot[s] = g
				out = append(out, nil)
			}
			out[g] = append(out[g], i)
		}
		return out
	default:
		for start := 0; start < len(keys); start += maxKeysPerCommand {
			end := min(start+maxKeysPerCommand, len(keys))
			g := make([]int, end-start)
			for i := range g {
				g[i] = start + i
			}
			out = append(out, g)
		}
		return out
	}
}

// GetMany reads keys with MGET: one command on a single node, one per hash
// slot on a cluster, all in one pipeline.
func (r *Store) GetMany(ctx context.Context, keys []string) ([]any, []bool, error) {
	bs, err := r.getMany(ctx, "get many", keys)
	if err != nil {
		return nil, nil, err
	}
	values := make([]any, len(keys))
	found := make([]bool, len(keys))
	for i, b := range bs {
		if b != nil {
			values[i], found[i] = b, true
		}
	}
	return values, found, nil
}

// GetManyBytes is GetMany without boxing: a nil element is a miss.
func (r *Store) GetManyBytes(ctx context.Context, keys []string) ([][]byte, error) {
	return r.getMany(ctx, "get many", keys)
}

func (r *Store) getMany(ctx context.Context, op string, keys []string) ([][]byte, error) {
	if err := r.ready(ctx, op); err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	if r.cluster == nil && r.ring == nil && len(keys) <= maxKeysPerCommand {
		// One node, one MGET: no groups to build.
		vals, err := r.client.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, r.failN(op, len(keys), err)
		}
		if err := mgetInto(out, vals, nil); err != nil {
			return nil, r.failN(op, len(keys), err)
		}
		return out, nil
	}
	groups := r.groups(keys)
	cmds := make([]*redis.SliceCmd, len(groups))
	if len(groups) == 1 {
		cmds[0] = r.client.MGet(ctx, keys...)
	} else {
		pipe := r.client.Pipeline()
		for i, g := range groups {
			cmds[i] = pipe.MGet(ctx, storeutil.Pick(keys, g)...)
		}
		_, _ = pipe.Exec(ctx) // errors are read per command below
	}
	for i, g := range groups {
		vals, err := cmds[i].Result()
		if err != nil {
			return nil, r.failN(op, len(keys), err)
		}
		if err := mgetInto(out, vals, g); err != nil {
			return nil, r.failN(op, len(keys), err)
		}
	}
	return out, nil
}

// mgetInto puts the values of one MGET reply into out: the i-th at g[i],
// or at i when g is nil. A nil value is a miss and stays nil.
func mgetInto(out [][]byte, vals []any, g []int) error {
	n := len(out)
	if g != nil {
		n = len(g)
	}
	if len(vals) != n {
		return fmt.Errorf("MGET returned %d values for %d keys", len(vals), n)
	}
	for j, v := range vals {
		i := j
		if g != nil {
			i = g[j]
		}
		switch v := v.(type) {
		case nil:
		case string:
			out[i] = ownedBytes(v)
		case []byte:
			out[i] = storeutil.NonNil(v)
		default:
			return fmt.Errorf("MGET returned a %T", v)
		}
	}
	return nil
}

// ownedBytes returns the bytes of a reply string without copying them. The
// string was made by go-redis for this one reply and nothing else refers to
// it, so the caller owns the bytes as if they had been copied.
func ownedBytes(s string) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// SetMany stores the entries with SET commands in one pipeline. Every value
// must be a []byte; a wrong type is reported before anything is written.
func (r *Store) SetMany(ctx context.Context, keys []string, values []any, ttl time.Duration) error {
	if err := r.ready(ctx, "set many"); err != nil {
		return err
	}
	if err := backends.CheckTTL(r, ttl); err != nil {
		return err
	}
	if len(keys) != len(values) {
		return fmt.Errorf("ring: backend redis: set many: %d keys but %d values", len(keys), len(values))
	}
	bs := make([][]byte, len(values))
	for i, v := range values {
		b, err := storeutil.BytesValue(r.Name(), "set many", keys[i], v)
		if err != nil {
			return err
		}
		bs[i] = b
	}
	if len(keys) == 0 {
		return nil
	}
	ttl = ceilMillis(ttl)
	if len(keys) == 1 {
		return r.Set(ctx, keys[0], bs[0], ttl)
	}
	pipe := r.client.Pipeline()
	for i, k := range keys {
		pipe.Set(ctx, k, bs[i], ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return r.failN("set many", len(keys), err)
	}
	return nil
}

// DeleteMany removes keys and their leases (LeaseKey) with DEL: one
// command on a single node, one per hash slot on a cluster, all in one
// pipeline.
func (r *Store) DeleteMany(ctx context.Context, keys []string) error {
	if err := r.ready(ctx, "delete many"); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	n := len(keys)
	keys = withLeases(keys)
	groups := r.groups(keys)
	var err error
	if len(groups) == 1 {
		err = r.client.Del(ctx, keys...).Err()
	} else {
		pipe := r.client.Pipeline()
		for _, g := range groups {
			pipe.Del(ctx, storeutil.Pick(keys, g)...)
		}
		_, err = pipe.Exec(ctx)
	}
	if err != nil {
		return r.failN("delete many", n, err)
	}
	return nil
}

// HasMany tests keys with one EXISTS per key in one pipeline.
func (r *Store) HasMany(ctx context.Context, keys []string) ([]bool, error) {
	if err := r.ready(ctx, "has many"); err != nil {
		return nil, err
	}
	out := make([]bool, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	pipe := r.client.Pipeline()
	cmds := make([]*redis.IntCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.Exists(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, r.failN("has many", len(keys), err)
	}
	for i, c := range cmds {
		out[i] = c.Val() > 0
	}
	return out, nil
}

// TouchMany gives every present key a new expiry (PEXPIRE, or PERSIST for a
// zero ttl) in one pipeline.
func (r *Store) TouchMany(ctx context.Context, keys []string, ttl time.Duration) error {
	if err := r.ready(ctx, "touch many"); err != nil {
		return err
	}
	if err := backends.CheckTTL(r, ttl); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	ttl = ceilMillis(ttl)
	pipe := r.client.Pipeline()
	for _, k := range keys {
		if ttl == 0 {
			pipe.Persist(ctx, k)
		} else {
			pipe.PExpire(ctx, k, ttl)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return r.failN("touch many", len(keys), err)
	}
	return nil
}

// scanCount is the COUNT hint of the SCAN and HSCAN calls of Clear.
const scanCount = 1000

// Clear removes every key that starts with prefix: SCAN MATCH with the
// prefix glob-escaped, then UNLINK of what was found, batch by batch. On a
// cluster every master is scanned and the keys are unlinked per hash slot;
// on a ring every shard is scanned. It never runs FLUSHDB. Keys written
// while Clear runs may survive it. A key that match rejects is left.
func (r *Store) Clear(ctx context.Context, prefix string, match func(string) bool) error {
	if err := r.ready(ctx, "clear"); err != nil {
		return err
	}
	pattern := globEscape(prefix) + "*"
	var err error
	switch {
	case r.cluster != nil:
		err = r.cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return scanUnlink(ctx, c, pattern, match, true)
		})
	case r.ring != nil:
		err = r.ring.ForEachShard(ctx, func(ctx context.Context, c *redis.Client) error {
			return scanUnlink(ctx, c, pattern, match, false)
		})
	default:
		err = scanUnlink(ctx, r.client, pattern, match, false)
	}
	if err != nil {
		return fmt.Errorf("ring: backend redis: clear prefix %s: %w", storeutil.QuoteKey(prefix), err)
	}
	return nil
}

// scanUnlink scans one node for pattern and unlinks what it finds (and match
// accepts). bySlot makes it unlink per hash slot, as a cluster node
// requires.
func scanUnlink(ctx context.Context, c redis.Cmdable, pattern string, match func(string) bool, bySlot bool) error {
	var cursor uint64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		keys, next, err := c.Scan(ctx, cursor, pattern, scanCount).Result()
		if err != nil {
			return err
		}
		if match != nil {
			keys = slices.DeleteFunc(keys, func(k string) bool { return !match(k) })
		}
		if len(keys) > 0 {
			if err := unlink(ctx, c, keys, bySlot); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

func unlink(ctx context.Context, c redis.Cmdable, keys []string, bySlot bool) error {
	if !bySlot {
		return c.Unlink(ctx, keys...).Err()
	}
	slots := make(map[int][]string)
	for _, k := range keys {
		s := redisSlot(k)
		slots[s] = append(slots[s], k)
	}
	pipe := c.Pipeline()
	for _, ks := range slots {
		pipe.Unlink(ctx, ks...)
	}
	_, err := pipe.Exec(ctx)
	return err
}

// globEscape escapes the characters that are special in a Redis MATCH
// pattern, so that the pattern matches s literally.
func globEscape(s string) string {
	if !strings.ContainsAny(s, `*?[]\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// redisSlot returns the Redis Cluster hash slot of key: CRC16 (XMODEM) of
// the key, or of its hash tag (the part between the first '{' and the next
// '}', when that part is not empty), modulo 16384.
func redisSlot(key string) int {
	if s := strings.IndexByte(key, '{'); s >= 0 {
		if e := strings.IndexByte(key[s+1:], '}'); e > 0 {
			key = key[s+1 : s+1+e]
		}
	}
	return int(crc16(key) & 16383)
}

var crc16Table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

func crc16(s string) uint16 {
	var c uint16
	for i := 0; i < len(s); i++ {
		c = c<<8 ^ crc16Table[byte(c>>8)^s[i]]
	}
	return c
}

// ceilMillis rounds a positive ttl up to a whole number of milliseconds,
// the precision of PX and PEXPIRE.
func ceilMillis(ttl time.Duration) time.Duration {
	if r := ttl % time.Millisecond; r != 0 && ttl > 0 {
		ttl += time.Millisecond - r
	}
	return ttl
}

// StopsAtDeadline reports whether the client stops a call at its
// context's deadline by itself, dial, pool wait, reads and writes
// included: go-redis does when ContextTimeoutEnabled is set.
func (r *Store) StopsAtDeadline() bool { return redisStopsAtDeadline(r.client) }

// Remote returns true: calls go to a Redis server (see
// backends.RemoteStorage).
func (*Store) Remote() bool { return true }

// Unreachable reports whether err means that Redis could not be reached or
// cannot serve yet, beyond the network errors backends.Unreachable knows:
// go-redis's pool timeout or closed client, and the replies LOADING,
// CLUSTERDOWN, MASTERDOWN, TRYAGAIN and READONLY (after a failover). See
// backends.ErrorClassifier.
func (*Store) Unreachable(err error) bool { return unreachable(err) }

func unreachable(err error) bool {
	if err == nil {
		return false
	}
	return errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrClosed) ||
		redis.IsLoadingError(err) || redis.IsClusterDownError(err) || redis.IsMasterDownError(err) ||
		redis.IsTryAgainError(err) || redis.IsReadOnlyError(err)
}

// Nodes names the master of a key's slot on a cluster client, and asks
// the client to reload its slot map (see backends.NodeLocator). On other
// clients both are nil.
func (r *Store) Nodes() (func(ctx context.Context, key string) (string, error), func()) {
	c := r.cluster
	if c == nil {
		return nil, nil
	}
	return func(ctx context.Context, key string) (string, error) {
		n, err := c.MasterForKey(ctx, key)
		if err != nil {
			return "", err
		}
		return n.Options().Addr, nil
	}, func() { c.ReloadState(context.Background()) }
}
