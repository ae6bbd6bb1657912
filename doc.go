// Package ring turns Go functions and methods into cached versions of
// themselves, with explicit control over every step: the cached function is
// called like the original, and next to it are the sub-functions that
// read, refresh, write, delete, test and touch its entries and tell the exact
// key each entry lives under. It is the Go analog of Python's Ring (with
// wirerope, its binding layer) and borrows from cachetory.
//
// # Getting started
//
// Wrap a function of the canonical shape func(ctx, args...) (R, error) with
// the constructor of its arity, [Func0] to [Func3]:
//
//	func fetchPrice(ctx context.Context, sku string) (int, error) { ... }
//
//	var prices = ring.Must(ring.Func1(fetchPrice, ring.LRU(1000), ring.Expire(time.Minute)))
//
//	p, err := prices.Call(ctx, "apple")  // runs fetchPrice once, then serves the cache
//	err = prices.Delete(ctx, "apple")    // manual expiration
//	key, err := prices.Key("apple")      // "main.fetchPrice:apple", the backend's key
//
// [Ring1.Call] is type-checked by the compiler like the original function. A bad
// shape (an unkeyable parameter type, a receiver without RingKey, a bad
// option) is an error when the ring is built, naming the function, its
// file:line and the 1-based parameter position; [Must] turns it into a panic
// for package-level variables.
//
// Without a storage option a ring stores its entries in an in-process LRU of
// 1024 entries (the embedded default): nothing to run, nothing
// to configure.
//
// # Kinds
//
// What a ring keys on depends on what it wraps:
//
//   - a plain function ([Func0] .. [Func3]): the arguments;
//   - a method expression such as (*User).Load ([Method1], [Method2]):
//     the receiver's RingKey() string, then the arguments;
//   - a method expression with only the receiver and a context
//     ([Property]): the receiver's RingKey() alone;
//   - a method expression keyed by the receiver's type name instead of
//     its value ([Class0] .. [Class2]): every value of the type shares the
//     entry (Python Ring's classmethod); for an interface receiver, each
//     dynamic type gets its own.
//
// A method ring is called with the receiver first; its other sub-functions
// are on the receiver's wire, which [MethodRing1.Bind] returns without
// allocating:
//
//	var posts = ring.Must(ring.Method1((*User).loadPosts))
//
//	func (u *User) Posts(ctx context.Context, page int) ([]Post, error) {
//		return posts.Call(u, ctx, page)
//	}
//
//	posts.Bind(u).Update(ctx, 1) // refresh this user's first page
//
// A method value (u.Load) hides its receiver, so the receiver could not be
// part of the key: it is rejected with a hint to pass (*User).Load. A
// receiver type without RingKey() is rejected when the ring is built.
//
// # Sub-functions
//
// A plain function's ring ([Ring0] .. [Ring3]) is the wire of a function
// without a receiver ([Ring1] is [Wire1] with the receiver type struct{}),
// and a method ring's [MethodRing1.Bind] returns a wire: every wire has the
// sub-functions that take the argument list, with the wrapped function's
// parameter types, documented once on the untyped [Ring]:
//
//   - Call, the default action, is GetOrUpdate: the cached result, or
//     the function's, run once per key across concurrent callers and
//     cached unless it returned an error;
//   - Get reads only; found is false on a miss, and a cached zero value
//     is found;
//   - Update runs the function and overwrites the entry; Execute runs it
//     and leaves the cache alone;
//   - Set writes a value (the value first, then the arguments); Delete
//     removes the entry; Has tests it; Touch resets its expiry;
//   - Key returns the key the backend stores the entry under.
//
// The rest is reached once, from every typed ring: Many returns the bulk
// forms ([Bulk]: Key, Execute, Get, Update, GetOrUpdate, Set, Delete, Has,
// Touch), which take a slice of argument sets ([Args2] and [Args3] for two
// and three key arguments); Many().GetOrUpdate reads every entry in one
// round trip and runs the function for the misses only, concurrently
// ([BulkConcurrency]), each in its key's single flight. Cache returns the
// low-level [Cache] over the ring's own entries, whose Encode, Decode and
// Storage give direct access to the coder and the backend
// (Storage().Raw() is the client underneath). Untyped returns the untyped
// view, whose Run runs a sub-function chosen by name.
//
// # Failures
//
// Call fails open: when the storage fails, the function's result is still
// returned and the storage error goes to the [OnError] hook; a stored value
// that no longer decodes is a miss, also reported there. The explicit
// sub-functions (Get, Set, Delete, Has, Touch, Update's write) return
// storage errors. A result with a non-nil error is never cached, except a
// "not found" that NegativeCache caches for its own time-to-live. A panic in
// the wrapped function during Call reaches the caller and every caller
// waiting on the same key as a [*PanicError]; nothing is cached.
//
// # Options and presets
//
// Options choose the storage ([LRU], [Dict], [Dummy], or any backend with
// [Storage]: the Redis, memcached and disk stores of backends/redisstore,
// backends/memcachestore and backends/diskstore, or one that
// backends/storeurl opens from a URL, described in docs/backends.md; each
// is a package of its own, so a program links a server client only when
// it imports one), the coder ([Coder], [WithCoder], [CoderFuncs]), the
// expiry ([Expire], [TTLFunc], [ExpireJitter]), refreshes in the background
// before it ([RefreshAhead], docs/loading.md), by one process at a time
// across processes ([Lease]), what is written
// ([Exclude], [IfNotExists]), the key ([KeyPrefix], [Ignore], [KeyFunc],
// [HashKeys]), the storage per call ([Choose]), the error hook ([OnError])
// and the semantics of the sub-functions ([WithStrategy]). Later options
// override earlier ones. Options print themselves, and [Preset] bundles them
// into one, the analog of functools.partial over a Ring factory:
//
//	var cached = ring.Preset(ring.LRU(10_000), ring.Expire(10*time.Minute))
//	var lookup = ring.Must(ring.Func1(lookupFn, cached, ring.KeyPrefix("lookup")))
//
// # Keys
//
// A key is the prefix, then one component per key argument, each after a
// ':' — the receiver's first for methods, never the context. The default
// prefix is the definition's fully qualified name, for example
// "example.com/app.User.loadPosts:42:1". Reserved bytes inside an
// argument are escaped with a backslash, so two different argument tuples
// do not share a key; package [github.com/ringcache/ring/ringkey] documents
// the format of every type and, in its Exceptions section, every case where
// they can (keys you choose with RingKey, String, KeyFunc or Ignore; the
// structural hash of structs without RingKey or String; HashKeys).
//
// # Typed and untyped
//
// The typed constructors take functions of the canonical shape
// func(ctx, args...) (R, error), or method expressions of the shape
// func(recv, ctx, args...) (R, error). Any other shape (no context, a
// context elsewhere, no error result, more arguments, variadic) goes
// through [New], which returns the untyped [Ring]: the same sub-functions
// with arguments as []any, checked against the signature at run time (a
// wrong count or type is a [*CountError] or [*ArgError], never a panic).
// Every typed ring also has an untyped view, Untyped, sharing its entries.
//
// # Strategies
//
// The meaning of each sub-function is a [strategy.Strategy], replaceable per
// ring with [WithStrategy] (Python Ring's user_interface): embed
// [strategy.Default] and override what should change. The examples show a
// backup-copy strategy that serves the last good value when the function
// fails, and a hit counter.
//
// # Examples
//
// Runnable programs: examples/static walks through every sub-function of a
// cached plain function, and examples/methods caches methods, a property, a
// class function and a preset (go run ./examples/methods). The guides in
// docs/ cover the API, keys, sub-functions, strategies, and the move from
// Python Ring.
package ring
