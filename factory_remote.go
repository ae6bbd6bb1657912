package ring

import (
	"fmt"
	"sync"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring/backends"
)

// Redis stores entries in Redis through client: a *redis.Client (one
// node), a failover client (Sentinel) or a *redis.ClusterClient, all through
// go-redis's UniversalClient. Values are encoded with the ring's coder. The
// client is shared by every ring built with this option; Storage().Raw()
// returns it. The backend is wrapped with backends.Cancelable, so a call
// returns as soon as its context ends (go-redis alone stops at a deadline,
// not at a cancel).
func Redis(client redis.UniversalClient) Option {
	var s backends.Storage
	if client != nil {
		s = backends.Cancelable(backends.NewRedis(client))
	}
	return remote("Redis(client)", "redis", s)
}

// RedisHash stores entries as the fields of the one Redis hash hashKey.
// Redis before 7.4 has no per-field expiry, so a ring with an Expire is
// refused by the backend on write (see docs/backends.md).
func RedisHash(client redis.UniversalClient, hashKey string) Option {
	var s backends.Storage
	if client != nil {
		s = backends.Cancelable(backends.NewRedisHash(client, hashKey))
	}
	return remote(fmt.Sprintf("RedisHash(client, %q)", hashKey), "redis-hash", s)
}

// Memcache stores entries in memcached through client (one or several
// servers), wrapped with backends.Cancelable (gomemcache takes no context:
// without the wrapper a call ends only at the client's Timeout). Keys
// longer than memcached allows, or with bytes outside '!'..'~', are
// rewritten as "ring-sha1:<hex>"; Key() returns the rewritten key.
//
// opts go to backends.NewMemcache: give backends.MemcacheSelector the
// selector client was made with, and every bulk form is one pipelined
// round trip from the calling goroutine: reads faster than gomemcache's
// GetMulti, writes one round trip instead of a loop of single calls
// (Open("memcache://...") does this by itself; see docs/backends.md).
func Memcache(client *memcache.Client, opts ...backends.MemcacheOption) Option {
	var s backends.Storage
	if client != nil {
		s = backends.Cancelable(backends.NewMemcache(client, opts...))
	}
	name := "Memcache(client"
	for _, o := range opts {
		if o != nil {
			name += ", " + o.String()
		}
	}
	return remote(name+")", "memcache", s)
}

func remote(name, backend string, s backends.Storage) Option {
	return newOption(name, func(c *config) {
		c.storageName = backend
		c.newStorage = func() (backends.Storage, error) {
			if s == nil {
				return nil, fmt.Errorf("ring: %s: nil client", name)
			}
			return s, nil
		}
	})
}

// Disk stores entries in a file under dir (bbolt), surviving restarts, with
// per-entry expiry. The store is opened when the first ring is built with
// this option value and shared by every ring built with it (a Preset holding
// it shares one store); it stays open for the life of the process. Other
// Disk options, disk:// URLs and backends.NewDisk calls of the same
// directory in this process share the same open file (a different
// DiskMaxBytes bound is an error). To
// control its life, open it yourself with backends.NewDisk, pass it with
// Storage and Close it when done.
func Disk(dir string, opts ...backends.DiskOption) Option {
	open := sync.OnceValues(func() (backends.Storage, error) {
		return backends.NewDisk(dir, opts...)
	})
	return newOption(fmt.Sprintf("Disk(%q)", dir), func(c *config) {
		c.storageName = "disk"
		c.newStorage = open
	})
}

// Open chooses the backend from a URL (see backends.Open for the schemes:
// memory://, dict://, dummy://, redis://, rediss://, redis+unix://,
// redis+cluster://, redis+sentinel://, memcache://, disk://, and for the
// client settings Open chooses for a cache). The backend is opened when the
// first ring is built with this option value and shared by every ring built
// with it; a bad URL is an error at that point, naming the bad part. The
// option's String shows the URL as backends.RedactURL does: no password,
// no credential parameter, and nothing of a URL that cannot be split
// safely.
func Open(rawURL string) Option {
	open := sync.OnceValues(func() (backends.Storage, error) { return backends.Open(rawURL) })
	return newOption("Open("+backends.RedactURL(rawURL)+")", func(c *config) {
		c.storageName = "url"
		c.newStorage = open
	})
}
