package rope

// The count of a storage's writes that a ring keeps itself (ring's
// writeCount, a Watcher): a Seen that holds it has no hash.

// SeenCount returns a Seen that holds n, a count of finished writes taken
// by the caller (not one of a stripe: See), and no hash: its Count is n
// plus one.
func SeenCount(n uint64) Seen { return Seen{count: n + 1} }

// Watching reports whether w is the rope's Watcher: a later SetWatcher
// may have replaced it.
func (r *Rope) Watching(w Watcher) bool { return r.watch == w }
