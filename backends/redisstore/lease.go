package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/storeutil"
)

// Leases (backends.Leaser) on Redis: the lease of an entry is a string key
// of its own, taken with SET NX PX and a random token, and always in the
// entry's hash slot (see LeaseKey), so that the write of the holder's
// value, a Lua script that checks the token, SETs the entry and DELs the
// lease, runs atomically on a single node as on a Cluster. Delete and
// Remove clear an entry's lease with the entry.

var _ backends.Leaser = (*Store)(nil)

// leasePrefix starts every lease key. Entry keys are never read as leases
// nor leases as entries; a ring's Clear, which scans for the ring's prefix,
// does not see them (they expire by themselves).
const leasePrefix = "ring-lease"

// LeaseKey returns the name of the lease key of key, which is always in
// key's Redis Cluster hash slot and distinct for distinct keys:
//   - "ring-lease:" + key, when key has a hash tag (a '{', then a '}'
//     after it with something between): the tag is kept;
//   - "ring-lease{" + key + "}", when key has no tag and no '}': the whole
//     key becomes the tag, and CRC16 of the tag is CRC16 of the key;
//   - "ring-lease{" + t + "}:" + key otherwise (a key such as "a}b{" or
//     "{}x", which has no tag but a '}' that would end a tag early, or the
//     empty key), where t is a short decimal string whose CRC16 falls in
//     key's slot.
func LeaseKey(key string) string {
	if s := strings.IndexByte(key, '{'); s >= 0 {
		if e := strings.IndexByte(key[s+1:], '}'); e > 0 {
			return leasePrefix + ":" + key
		}
	}
	if key != "" && strings.IndexByte(key, '}') < 0 {
		return leasePrefix + "{" + key + "}"
	}
	return leasePrefix + "{" + slotTag(redisSlot(key)) + "}:" + key
}

// slotTags caches, per hash slot, the smallest decimal number whose CRC16
// falls in that slot (16384 slots at most, a few bytes each).
var slotTags sync.Map // int -> string

// slotTag returns a string without '{' or '}' whose hash slot is slot:
// found by trying 0, 1, 2, ... (about 16384 tries, once per slot).
func slotTag(slot int) string {
	if t, ok := slotTags.Load(slot); ok {
		return t.(string)
	}
	var buf [20]byte
	for n := uint64(0); ; n++ {
		b := strconv.AppendUint(buf[:0], n, 10)
		if int(crc16(string(b))&16383) == slot {
			t := string(b)
			slotTags.Store(slot, t)
			return t
		}
	}
}

// leaseSet writes the holder's value: only when the lease still holds the
// token, and then it deletes the lease. KEYS: entry, lease; ARGV: token,
// value, ttl in milliseconds (0: no expiry).
var leaseSet = redis.NewScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
redis.call('DEL', KEYS[2])
return 1
`)

// leaseRelease deletes the lease when it still holds the token. KEYS:
// lease; ARGV: token.
var leaseRelease = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// leaseOK refuses a key whose lease could not share a shard with it: on a
// client-side sharded *redis.Ring, which places keys by their hash tag
// rather than by slot, the third form of LeaseKey lands elsewhere.
func (r *Store) leaseOK(op, key string) error {
	if r.ring == nil {
		return nil
	}
	if lk := LeaseKey(key); strings.HasPrefix(lk, leasePrefix+":") || lk == leasePrefix+"{"+key+"}" {
		return nil
	}
	return fmt.Errorf("ring: backend redis: %s %s: on a sharded redis.Ring the lease of a key with a '}' and no hash tag would be on another shard: %w",
		op, storeutil.QuoteKey(key), backends.ErrNotSupported)
}

// TakeLease takes the lease of key with SET <LeaseKey(key)> <token> NX PX
// ttl; ok is false when another client holds it.
func (r *Store) TakeLease(ctx context.Context, key string, ttl time.Duration) (string, bool, error) {
	const op = "take lease"
	if err := r.ready(ctx, op); err != nil {
		return "", false, err
	}
	if ttl <= 0 {
		return "", false, r.fail(op, key, errors.New("the lease needs a positive ttl, got "+ttl.String()))
	}
	if err := r.leaseOK(op, key); err != nil {
		return "", false, err
	}
	token := rand.Text()
	ok, err := r.client.SetNX(ctx, LeaseKey(key), token, ceilMillis(ttl)).Result()
	if err != nil {
		return "", false, r.fail(op, key, err)
	}
	if !ok {
		return "", false, nil
	}
	return token, true, nil
}

// SetLeased writes value under key with ttl and deletes the lease, in one
// Lua script (EVALSHA, EVAL when the server does not have it yet), only
// when the lease still holds token.
func (r *Store) SetLeased(ctx context.Context, key, token string, value any, ttl time.Duration) (bool, error) {
	const op = "set leased"
	if err := r.ready(ctx, op); err != nil {
		return false, err
	}
	if err := backends.CheckTTL(r, ttl); err != nil {
		return false, err
	}
	b, err := storeutil.BytesValue(r.Name(), op, key, value)
	if err != nil {
		return false, err
	}
	ms := int64(ceilMillis(ttl) / time.Millisecond)
	n, err := leaseSet.Run(ctx, r.client, []string{key, LeaseKey(key)}, token, b, ms).Int()
	if err != nil {
		return false, r.fail(op, key, err)
	}
	return n == 1, nil
}

// ReleaseLease deletes the lease of key when it still holds token.
func (r *Store) ReleaseLease(ctx context.Context, key, token string) error {
	const op = "release lease"
	if err := r.ready(ctx, op); err != nil {
		return err
	}
	if err := leaseRelease.Run(ctx, r.client, []string{LeaseKey(key)}, token).Err(); err != nil {
		return r.fail(op, key, err)
	}
	return nil
}

// removeLeased deletes key and its lease, and reports whether key was
// there: DEL of each, pipelined (one round trip; one node, as the lease
// is in key's slot).
func (r *Store) removeLeased(ctx context.Context, key string) (bool, error) {
	var n *redis.IntCmd
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Del(ctx, key)
		p.Del(ctx, LeaseKey(key))
		return nil
	})
	if err != nil {
		return false, r.fail("remove", key, err)
	}
	return n.Val() > 0, nil
}

// withLeases returns keys followed by their lease keys, for a delete of
// both (each lease key is in its entry's slot).
func withLeases(keys []string) []string {
	out := make([]string, len(keys), 2*len(keys))
	copy(out, keys)
	for _, k := range keys {
		out = append(out, LeaseKey(k))
	}
	return out
}
