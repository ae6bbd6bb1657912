// Package backends defines the storage contract that every ring backend
// implements, the optional capabilities a backend may offer natively, and
// helpers that fall back to a correct loop where a backend has no native
// bulk command.
//
// # Values
//
// A backend either stores Go values as they are (the in-process LRU, Concurrent and Dict
// backends: [Storage.Bytes] reports false) or stores bytes (Redis, Memcached,
// disk: [Storage.Bytes] reports true). A bytes backend is only ever given
// []byte values by ring, which encodes them with a coder first, and it returns
// []byte values from Get.
//
// # Expiry
//
// A ttl of zero means "no expiry". A negative ttl is invalid.
//
// # Errors
//
// Every error returned by a backend is prefixed "ring: " and names the
// backend. An operation a backend truly cannot perform returns an error that
// wraps [ErrNotSupported].
package backends

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ringcache/ring/internal/bytesize"
)

// ErrNotSupported is wrapped by every error that reports an operation a
// backend cannot perform (for example a per-entry expiry on a Redis hash).
var ErrNotSupported = errors.New("operation not supported")

// Storage is the small interface every backend implements. Implementations
// must be safe for concurrent use.
type Storage interface {
	// Name names the backend in errors, for example "lru" or "redis".
	Name() string
	// Bytes reports whether the backend stores []byte values only (true) or
	// any Go value as it is (false).
	Bytes() bool
	// Get returns the value stored under key. found is false on a miss; a
	// miss is not an error.
	Get(ctx context.Context, key string) (value any, found bool, err error)
	// Set stores value under key. A ttl of zero stores it without expiry.
	Set(ctx context.Context, key string, value any, ttl time.Duration) error
	// Delete removes key. Deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// Raw returns the underlying client (for example a redis.UniversalClient
	// or a *memcache.Client) so that a user can reach the backend directly.
	Raw() any
}

// Haser is implemented by backends that can test for a key without reading
// its value. An expired entry is absent.
type Haser interface {
	Has(ctx context.Context, key string) (bool, error)
}

// Toucher is implemented by backends that can reset the expiry of an entry.
// A ttl of zero makes the entry persistent. Touching an absent key is not an
// error.
type Toucher interface {
	Touch(ctx context.Context, key string, ttl time.Duration) error
}

// SetIfAbsenter is implemented by backends that can write a value only when
// the key is absent. It reports whether the value was written.
type SetIfAbsenter interface {
	SetIfAbsent(ctx context.Context, key string, value any, ttl time.Duration) (bool, error)
}

// BulkGetter is implemented by backends that read many keys in one round
// trip. values and found have the length of keys. The keys may share one
// buffer (ring's bulk reads build them so): an implementation that keeps a
// key after it returns copies it (strings.Clone), so as not to keep the
// buffer alive; the same holds for BulkBytesGetter.
type BulkGetter interface {
	GetMany(ctx context.Context, keys []string) (values []any, found []bool, err error)
}

// BulkBytesGetter is implemented by bytes backends that read many keys in
// one round trip without boxing each value in an interface. A nil element
// is a miss; a found empty value is a non-nil empty slice. Ring's bulk reads
// use it when the backend has it.
type BulkBytesGetter interface {
	GetManyBytes(ctx context.Context, keys []string) ([][]byte, error)
}

// TTLUnknown is the remaining time-to-live that [GetWithTTL] and
// [GetManyWithTTL] report for an entry whose backend cannot say how long it
// has left: a backend without [TTLGetter], or one that cannot read an
// entry's expiry in the same round trip as its value (a memcached backend
// without its server selector). It is negative, so it can never be taken
// for "no expiry" (0) or for a real remaining time (positive).
const TTLUnknown time.Duration = -1

// TTLGetter is implemented by backends that read a value and its remaining
// time-to-live in one step (one round trip, one lock, one transaction), so
// that a policy can tell an entry's age without storing anything beside the
// bytes the coder wrote. On a hit, ttl is positive when the entry expires
// (the time it has left, at the backend's precision: nanoseconds in
// process, milliseconds on Redis, seconds on memcached), 0 when it has no
// expiry, and [TTLUnknown] when the backend cannot say. On a miss, value is
// nil, ttl is 0 and found is false; a miss is not an error.
type TTLGetter interface {
	GetWithTTL(ctx context.Context, key string) (value any, ttl time.Duration, found bool, err error)
}

// BulkTTLGetter is implemented by backends that read many values and their
// remaining time-to-live in one round trip. values, ttls and found have the
// length of keys; each element means what [TTLGetter] says.
type BulkTTLGetter interface {
	GetManyWithTTL(ctx context.Context, keys []string) (values []any, ttls []time.Duration, found []bool, err error)
}

// BulkSetter is implemented by backends that write many entries in one round
// trip. keys and values have the same length.
type BulkSetter interface {
	SetMany(ctx context.Context, keys []string, values []any, ttl time.Duration) error
}

// BulkTTLSetter is implemented by backends that write many entries, each
// with its own time-to-live, in one round trip. keys, values and ttls have
// the same length; a ttl of zero stores its entry without expiry. Ring's
// bulk writes use it when a ring's entries get different time-to-lives
// (TTLFunc, ExpireJitter).
type BulkTTLSetter interface {
	SetManyTTL(ctx context.Context, keys []string, values []any, ttls []time.Duration) error
}

// BulkDeleter is implemented by backends that remove many keys in one round
// trip.
type BulkDeleter interface {
	DeleteMany(ctx context.Context, keys []string) error
}

// BulkHaser is implemented by backends that test many keys in one round trip.
type BulkHaser interface {
	HasMany(ctx context.Context, keys []string) ([]bool, error)
}

// BulkToucher is implemented by backends that reset the expiry of many keys
// in one round trip.
type BulkToucher interface {
	TouchMany(ctx context.Context, keys []string, ttl time.Duration) error
}

// Remover is implemented by backends that can delete a key and report in
// the same step whether it was there.
type Remover interface {
	Remove(ctx context.Context, key string) (existed bool, err error)
}

// Clearer is implemented by backends that can enumerate and remove every key
// that starts with prefix (and only those). When match is not nil, only the
// keys with the prefix for which match returns true are removed; the others
// are left as they are. match may be called from several goroutines at once.
type Clearer interface {
	Clear(ctx context.Context, prefix string, match func(key string) bool) error
}

// KeyRefactorer is implemented by backends that must rewrite some keys before
// storing them (memcached: keys over 250 bytes or with bytes outside '!'..'~'
// become "ring-sha1:<hex>"). Ring applies it when it builds a key, so Key()
// returns the key the backend really stores.
type KeyRefactorer interface {
	RefactorKey(key string) string
}

// ExpiryChecker is implemented by backends that cannot honour every expiry
// (a Redis hash has no per-field expiry before Redis 7.4). Ring asks it when
// a ring is built, so a ring whose Expire the backend cannot keep fails
// then, not on every write.
type ExpiryChecker interface {
	CheckExpiry(ttl time.Duration) error
}

// Closer is implemented by backends that own resources (files, goroutines).
type Closer interface {
	Close() error
}

// NotSupported returns an error that wraps ErrNotSupported and names the
// backend and the operation.
func NotSupported(s Storage, op string) error {
	return fmt.Errorf("ring: backend %s: %s: %w", s.Name(), op, ErrNotSupported)
}

// Has reports whether key is present, natively where s implements Haser and
// by a Get otherwise.
func Has(ctx context.Context, s Storage, key string) (bool, error) {
	if h, ok := s.(Haser); ok {
		return h.Has(ctx, key)
	}
	_, found, err := s.Get(ctx, key)
	return found, err
}

// Touch resets the expiry of key natively where s implements Toucher, and
// returns an error wrapping ErrNotSupported otherwise.
func Touch(ctx context.Context, s Storage, key string, ttl time.Duration) error {
	if t, ok := s.(Toucher); ok {
		return t.Touch(ctx, key, ttl)
	}
	return NotSupported(s, "touch")
}

// SetIfAbsent writes value under key only when key is absent, natively where
// s implements SetIfAbsenter and returns an error wrapping ErrNotSupported
// otherwise (a Has followed by a Set would not be atomic).
func SetIfAbsent(ctx context.Context, s Storage, key string, value any, ttl time.Duration) (bool, error) {
	if n, ok := s.(SetIfAbsenter); ok {
		return n.SetIfAbsent(ctx, key, value, ttl)
	}
	return false, NotSupported(s, "set if absent")
}

// GetMany reads keys natively where s implements BulkGetter and by a loop of
// Get otherwise.
func GetMany(ctx context.Context, s Storage, keys []string) ([]any, []bool, error) {
	if b, ok := s.(BulkGetter); ok {
		return b.GetMany(ctx, keys)
	}
	values := make([]any, len(keys))
	found := make([]bool, len(keys))
	for i, k := range keys {
		v, ok, err := s.Get(ctx, k)
		if err != nil {
			return nil, nil, err
		}
		values[i], found[i] = v, ok
	}
	return values, found, nil
}

// GetManyBytes reads keys of a bytes backend: through BulkBytesGetter where
// s has it, through GetMany otherwise. A nil element is a miss, and so is a
// stored value that is not a []byte.
func GetManyBytes(ctx context.Context, s Storage, keys []string) ([][]byte, error) {
	if b, ok := s.(BulkBytesGetter); ok {
		return b.GetManyBytes(ctx, keys)
	}
	values, found, err := GetMany(ctx, s, keys)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, v := range values {
		if b, ok := v.([]byte); ok && found[i] {
			if b == nil {
				b = []byte{}
			}
			out[i] = b
		}
	}
	return out, nil
}

// GetWithTTL reads the value under key and its remaining time-to-live:
// natively where s implements [TTLGetter], and otherwise by a plain Get
// whose hit reports [TTLUnknown] (never 0, which would claim the entry has
// no expiry). A miss reports ttl 0 and found false.
func GetWithTTL(ctx context.Context, s Storage, key string) (any, time.Duration, bool, error) {
	if g, ok := s.(TTLGetter); ok {
		return g.GetWithTTL(ctx, key)
	}
	v, found, err := s.Get(ctx, key)
	if err != nil || !found {
		return nil, 0, false, err
	}
	return v, TTLUnknown, true, nil
}

// GetManyWithTTL reads keys and their remaining time-to-live: natively where
// s implements [BulkTTLGetter], by a loop of GetWithTTL where it implements
// only [TTLGetter], and by GetMany otherwise, every hit then reporting
// [TTLUnknown]. A miss reports ttl 0 and found false.
func GetManyWithTTL(ctx context.Context, s Storage, keys []string) ([]any, []time.Duration, []bool, error) {
	if b, ok := s.(BulkTTLGetter); ok {
		return b.GetManyWithTTL(ctx, keys)
	}
	ttls := make([]time.Duration, len(keys))
	if g, ok := s.(TTLGetter); ok {
		values := make([]any, len(keys))
		found := make([]bool, len(keys))
		for i, k := range keys {
			v, ttl, ok, err := g.GetWithTTL(ctx, k)
			if err != nil {
				return nil, nil, nil, err
			}
			values[i], ttls[i], found[i] = v, ttl, ok
		}
		return values, ttls, found, nil
	}
	values, found, err := GetMany(ctx, s, keys)
	if err != nil {
		return nil, nil, nil, err
	}
	for i, ok := range found {
		if ok {
			ttls[i] = TTLUnknown
		}
	}
	return values, ttls, found, nil
}

// SetMany writes entries natively where s implements BulkSetter and by a loop
// of Set otherwise.
func SetMany(ctx context.Context, s Storage, keys []string, values []any, ttl time.Duration) error {
	if len(keys) != len(values) {
		return fmt.Errorf("ring: backend %s: set many: %d keys but %d values", s.Name(), len(keys), len(values))
	}
	if b, ok := s.(BulkSetter); ok {
		return b.SetMany(ctx, keys, values, ttl)
	}
	for i, k := range keys {
		if err := s.Set(ctx, k, values[i], ttl); err != nil {
			return err
		}
	}
	return nil
}

// SetManyTTL writes entries, entry i with the time-to-live ttls[i] (0: no
// expiry): natively where s implements BulkTTLSetter; otherwise with one
// SetMany per distinct ttl (so one round trip when every ttl is the same,
// and natively where s implements BulkSetter), keeping the last of the
// entries that repeat a key, as a write in order would. It checks the
// lengths and every ttl first and writes nothing when one is wrong.
func SetManyTTL(ctx context.Context, s Storage, keys []string, values []any, ttls []time.Duration) error {
	if err := checkTTLs(s, keys, values, ttls); err != nil {
		return err
	}
	if b, ok := s.(BulkTTLSetter); ok {
		return b.SetManyTTL(ctx, keys, values, ttls)
	}
	if len(keys) == 0 {
		return nil
	}
	same := true
	for _, ttl := range ttls[1:] {
		if ttl != ttls[0] {
			same = false
			break
		}
	}
	if same {
		return SetMany(ctx, s, keys, values, ttls[0])
	}
	// One SetMany per ttl, in the order the ttls first appear. A key that
	// repeats keeps only its last entry, so that the order of the groups
	// cannot change which value wins.
	type group struct {
		keys   []string
		values []any
	}
	last := make(map[string]int, len(keys))
	for i, k := range keys {
		last[k] = i
	}
	var order []time.Duration
	groups := make(map[time.Duration]*group)
	for i, k := range keys {
		if last[k] != i {
			continue
		}
		g := groups[ttls[i]]
		if g == nil {
			g = &group{}
			groups[ttls[i]] = g
			order = append(order, ttls[i])
		}
		g.keys = append(g.keys, k)
		g.values = append(g.values, values[i])
	}
	for _, ttl := range order {
		g := groups[ttl]
		if err := SetMany(ctx, s, g.keys, g.values, ttl); err != nil {
			return err
		}
	}
	return nil
}

// DeleteMany removes keys natively where s implements BulkDeleter and by a
// loop of Delete otherwise.
func DeleteMany(ctx context.Context, s Storage, keys []string) error {
	if b, ok := s.(BulkDeleter); ok {
		return b.DeleteMany(ctx, keys)
	}
	for _, k := range keys {
		if err := s.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// HasMany tests keys natively where s implements BulkHaser and by a loop of
// Has otherwise.
func HasMany(ctx context.Context, s Storage, keys []string) ([]bool, error) {
	if b, ok := s.(BulkHaser); ok {
		return b.HasMany(ctx, keys)
	}
	out := make([]bool, len(keys))
	for i, k := range keys {
		ok, err := Has(ctx, s, k)
		if err != nil {
			return nil, err
		}
		out[i] = ok
	}
	return out, nil
}

// TouchMany resets the expiry of keys natively where s implements
// BulkToucher and by a loop of Touch otherwise.
func TouchMany(ctx context.Context, s Storage, keys []string, ttl time.Duration) error {
	if b, ok := s.(BulkToucher); ok {
		return b.TouchMany(ctx, keys, ttl)
	}
	for _, k := range keys {
		if err := Touch(ctx, s, k, ttl); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes key and reports whether it was there: natively where s
// implements Remover, and by Has then Delete otherwise (two steps, so a
// concurrent writer can make the report stale).
func Remove(ctx context.Context, s Storage, key string) (bool, error) {
	if r, ok := s.(Remover); ok {
		return r.Remove(ctx, key)
	}
	ok, err := Has(ctx, s, key)
	if err != nil {
		return false, err
	}
	if err := s.Delete(ctx, key); err != nil {
		return false, err
	}
	return ok, nil
}

// Clear removes every key that starts with prefix where s implements Clearer,
// and returns an error wrapping ErrNotSupported otherwise.
func Clear(ctx context.Context, s Storage, prefix string) error {
	return ClearMatch(ctx, s, prefix, nil)
}

// ClearMatch removes the keys that start with prefix and for which match
// returns true (every key with the prefix when match is nil) where s
// implements Clearer, and returns an error wrapping ErrNotSupported
// otherwise.
func ClearMatch(ctx context.Context, s Storage, prefix string, match func(key string) bool) error {
	if c, ok := s.(Clearer); ok {
		return c.Clear(ctx, prefix, match)
	}
	return NotSupported(s, "clear")
}

// matches reports whether key passes match (nil passes every key).
func matches(match func(string) bool, key string) bool { return match == nil || match(key) }

// RefactorKey rewrites key the way s stores it; it returns key unchanged for
// backends that store every key as it is.
func RefactorKey(s Storage, key string) string {
	if r, ok := s.(KeyRefactorer); ok {
		return r.RefactorKey(key)
	}
	return key
}

// CheckTTL returns an error naming the backend and the value when ttl is
// negative.
func CheckTTL(s Storage, ttl time.Duration) error {
	if ttl < 0 {
		return fmt.Errorf("ring: backend %s: negative expiry %v", s.Name(), ttl)
	}
	return nil
}

// ParseSize parses a byte size: a whole number with an optional unit, B,
// KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024),
// in any letter case, for example "1GiB" or "500MB". coders.Open and
// storeurl.Open read their sizes with it.
func ParseSize(s string) (int64, error) { return bytesize.Parse(s) }
