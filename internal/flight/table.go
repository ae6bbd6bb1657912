package flight

import (
	"hash/maphash"
	"sync"
)

// The runs in flight of a Group, by key: spread over shards by the key's
// hash, each with a lock of its own, so that misses of different keys
// neither wait for one lock nor pay for a map: a shard holds its few runs
// in a slice, and only one that holds many (a large DoMany) switches to a
// map.

// numShards is the number of shards of a Group.
const numShards = 64

// maxSmall is the number of runs a shard holds in its slice before it
// moves them to a map.
const maxSmall = 16

// seed hashes keys for every Group, so that a key's hash (Run.Hash, Hash)
// is the same in all of them.
var seed = maphash.MakeSeed()

// Hash returns the hash of key that the runs of key carry (Run.Hash): a
// user of the group can spread its own state over it without hashing the
// key again.
func Hash(key string) uint64 { return uint64(uint32(maphash.String(seed, key))) }

// shard holds the runs in flight of the keys whose hash it gets.
type shard struct {
	mu    sync.Mutex
	small []*Run
	big   map[string]*Run // when not nil, it holds the shard's runs and small is empty
}

func (g *Group) shardOf(h uint64) *shard { return &g.shards[h%numShards] }

// find returns the run of key (hash h) in flight, or nil. The caller holds
// s.mu.
func (s *shard) find(key string, h uint64) *Run {
	if s.big != nil {
		return s.big[key]
	}
	for _, c := range s.small {
		if c.hash == uint32(h) && c.key == key {
			return c
		}
	}
	return nil
}

// add puts c, the run of a key that has none, in flight. The caller holds
// s.mu.
func (s *shard) add(c *Run) {
	if s.big == nil && len(s.small) < maxSmall {
		s.small = append(s.small, c)
		return
	}
	if s.big == nil {
		s.big = make(map[string]*Run, 2*maxSmall)
		for i, o := range s.small {
			s.big[o.key] = o
			s.small[i] = nil
		}
		s.small = s.small[:0]
	}
	s.big[c.key] = c
}

// remove takes c out of flight if it is still its key's run. The caller
// holds s.mu.
func (s *shard) remove(c *Run) {
	if s.big != nil {
		if s.big[c.key] == c {
			delete(s.big, c.key)
		}
		if len(s.big) == 0 {
			s.big = nil
		}
		return
	}
	for i, o := range s.small {
		if o == c {
			last := len(s.small) - 1
			s.small[i] = s.small[last]
			s.small[last] = nil
			s.small = s.small[:last]
			return
		}
	}
}

// each calls f for every run in flight in s. The caller holds s.mu; f
// must not change s.
func (s *shard) each(f func(c *Run)) {
	for _, c := range s.small {
		f(c)
	}
	for _, c := range s.big {
		f(c)
	}
}

// clear takes every run out of flight. The caller holds s.mu.
func (s *shard) clear() {
	clear(s.small)
	s.small = s.small[:0]
	s.big = nil
}
