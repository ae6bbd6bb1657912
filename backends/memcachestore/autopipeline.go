package memcachestore

// autoPipeline is the option AutoPipeline.
type autoPipeline struct{ on bool }

func (o autoPipeline) String() string {
	if o.on {
		return "memcachestore.AutoPipeline(true)"
	}
	return "memcachestore.AutoPipeline(false)"
}

func (o autoPipeline) applyMemcache(m *Store) { m.autoPipeline = &o.on }

// AutoPipeline turns the autopipelining of Get on (the default) or off.
// It applies only with the selector (WithSelector, or a Store made by
// storeurl.Open), whose connections Get then reads on; without it Get is
// gomemcache's and the option changes nothing.
//
// With it on, concurrent Gets of keys on one server are read together:
// while one get of the Store is on the wire to a server, the Gets that
// other goroutines make for that server queue, and when it is done the
// oldest of those callers sends every queued key as the next get
// ("get k1 k2 ... kn"), then hands each caller its own value (memcached
// answers a get in the order of its keys). No goroutine of the Store's
// runs it: a caller waits for its value or sends the next get itself, and
// a Get made while nothing else is in flight goes alone, as with the
// option off, so a lone caller pays nothing for it. Under 64 goroutines on
// hot keys ring's Call then takes about a third of the time of
// gomemcache's Get instead of 1.2x (docs/benchmarks.md).
//
// What it changes: at most one get per server is in flight, so a large
// value delays the keys queued behind it; a queued Get still ends at its
// context's end (its key may still be read for nobody); a get is bounded
// by the context of the caller that sends it, and a key whose read failed
// only because that context ended is sent again for its own caller while
// that caller's context lasts. Off, each Get is a get of its own on a
// pooled connection, as before.
func AutoPipeline(on bool) Option { return autoPipeline{on: on} }

// AutoPipelined reports whether Get combines the reads of concurrent
// callers (AutoPipeline, on by default, with the selector).
func (m *Store) AutoPipelined() bool { return m.pipe != nil && m.pipe.combine }
