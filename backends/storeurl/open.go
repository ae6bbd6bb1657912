package storeurl

import (
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/diskstore"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/storageurl"
)

// storageURL is a URL split by package storageurl, with what Open does
// with it.
type storageURL struct{ *storageurl.URL }

func parse(raw string) (*storageURL, error) {
	u, err := storageurl.Parse(raw)
	if err != nil {
		return nil, err
	}
	return &storageURL{u}, nil
}

// Open returns the backend that rawURL describes. The scheme chooses the
// backend; query parameters configure it. An unknown scheme, an unknown or
// repeated parameter, or a bad value is an error that names it.
//
//	memory://?size=1024            LRU of 1024 entries (the default size); lru:// is an alias
//	dict://                        unbounded in-process map
//	dummy://                       stores nothing
//	redis://user:pass@host:6379/0  one Redis node (db from the path or ?db=)
//	rediss://...                   the same over TLS (?skip_verify=true to skip certificate checks)
//	redis+unix:///path/to.sock?db=0                  one Redis node on a Unix socket
//	redis+cluster://host1:7000,host2:7001            Redis Cluster (seed nodes); rediss+cluster:// for TLS
//	redis+sentinel://host:26379,host2:26379/mymaster?db=0
//	                               the master "mymaster" found through Sentinel; rediss+sentinel:// for TLS.
//	                               user:pass@ authenticates to Redis; sentinel_username and
//	                               sentinel_password authenticate to the sentinels.
//	memcache://host1:11211,host2:11211               memcached servers (?timeout=500ms&max_idle_conns=2)
//	disk:///var/cache/app?size=1GiB                  Disk backend in that directory; disk:relative/dir also works
//
// Secrets: an error never shows a credential. The URL in an error is
// [backends.RedactURL]'s form (password and credential parameters as "xxxxx"); a URL
// that cannot be split safely is not shown at all, and the error says which
// part is wrong (scheme, user info, host or port, path, query, fragment).
// A '/', '?', '#', '%' or '@' in a password must be percent-encoded: an '@'
// after the host part is an error, since it cannot be told from the end of
// a password with an unescaped '/', '?' or '#'.
//
// Client settings suited to a cache: a sick cache should cost a miss, fast.
// Every Redis scheme takes dial_timeout, read_timeout, write_timeout and
// pool_timeout (Go durations more than 0, such as 500ms; each defaults to
// 500 ms, see [DefaultOpenDialTimeout] and the others), max_retries (how
// many times a failed command is tried again, 0 to 100; default 0: none),
// dial_attempts (dials of one connection before giving up, 1 to 100;
// default 1), pool_size, min_idle_conns, max_idle_conns, protocol (2 or 3)
// and client_name; the cluster schemes also take max_redirects (0 to 100,
// default 3, go-redis's), and autopipeline (true or false, default false:
// [redisstore.AutoPipeline], concurrent single-key commands share
// pipelines). Redis clients made by Open have ContextTimeoutEnabled set, so
// a ctx deadline also bounds network I/O.
//
// memcache:// takes timeout (default [DefaultOpenMemcacheTimeout], each
// dial, read and write) and max_idle_conns (per server, default 2).
//
// Open translates a Redis URL for go-redis's parser ([redis.ParseURL],
// [redis.ParseClusterURL] or [redis.ParseFailoverURL]) once it has checked
// every value, then sets the credentials and TLS itself. It also takes
// these parameters of go-redis's parsers, with go-redis's meanings:
// min_retry_backoff and max_retry_backoff (the wait between two tries of a
// command; max_retry_backoff defaults to [DefaultOpenMaxRetryBackoff]),
// conn_max_idle_time and conn_max_lifetime (Go durations of 0 or more, 0
// for no wait or no limit), max_active_conns (0 for no limit), pool_fifo,
// and on the cluster schemes read_only, route_by_latency and route_randomly
// (true or false). Their other parameters are unknown parameters: the URL's
// user info, hosts and path give what username, password, addr,
// master_name and db would, and on the sentinel schemes route_by_latency
// and route_randomly would make go-redis's failover client panic.
//
// Sizes (size of disk://) are whole numbers with an optional unit: B, KB,
// MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024).
//
// The Redis and memcached backends that Open makes are wrapped with
// [backends.Cancelable], so a call returns as soon as its context ends; [backends.Unwrap]
// gives the *redisstore.Store or *memcachestore.Store.
//
// Open connects to nothing and resolves no name: go-redis and gomemcache
// connect on first use, and memcache host names are resolved at each dial
// ([memcachestore.Servers]), so a server that is down or a name that does not
// resolve makes the calls fail, not Open. Backends that Open makes own their
// client: close them with [backends.Closer] when done (a Disk must be closed to
// release its file lock).
func Open(rawURL string) (backends.Storage, error) {
	scheme, _, err := storageurl.SplitScheme(rawURL)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(storageurl.Schemes, scheme) {
		return nil, fmt.Errorf("ring: open: unknown scheme %q (want one of %s)", scheme, strings.Join(storageurl.Schemes, ", "))
	}
	u, err := parse(rawURL)
	if err != nil {
		return nil, err
	}
	s, err := u.open()
	if err != nil {
		return nil, u.errorf("%w", err)
	}
	if strings.HasPrefix(u.Scheme, "redis") || u.Scheme == "memcache" {
		// Their clients cannot stop a call in flight on a cancelled context.
		s = backends.Cancelable(s)
	}
	return s, nil
}

func (u *storageURL) errorf(format string, args ...any) error {
	return fmt.Errorf("ring: open %q: "+format, append([]any{u.Redacted()}, args...)...)
}

// params checks the query against the names a scheme takes and reads
// values with validation.
type params struct {
	scheme string
	q      url.Values
	hidden map[string]bool // see storageURL.afterSecret
}

// value returns how an error shows the value s of parameter name: quoted,
// or not at all when the parameter follows a credential parameter.
func (p *params) value(name, s string) string {
	if p.hidden[name] {
		return "its value (not shown: it follows a credential parameter, of which it may be a piece)"
	}
	return strconv.Quote(s)
}

// number is value for a number or a duration, shown unquoted.
func (p *params) number(name, s string) string {
	if p.hidden[name] {
		return p.value(name, s)
	}
	return s
}

func (u *storageURL) params(allowed ...string) (*params, error) {
	var unknown []string
	hidden := 0
	for name, vs := range u.Query {
		if !slices.Contains(allowed, name) {
			if u.AfterSecret[name] || !storageurl.PlainName(name) {
				// It may be a piece of a value with an unescaped '&':
				// it is counted, not quoted.
				hidden++
				continue
			}
			unknown = append(unknown, name)
			continue
		}
		if len(vs) > 1 {
			return nil, fmt.Errorf("parameter %s given %d times", name, len(vs))
		}
	}
	if len(unknown) > 0 || hidden > 0 {
		slices.Sort(unknown)
		if hidden > 0 {
			unknown = append(unknown, fmt.Sprintf("%d whose name is not shown (it follows a credential parameter, or has characters no parameter name has: "+
				"percent-encode '&', '=' and '+' in values)", hidden))
		}
		known := "none"
		if len(allowed) > 0 {
			known = strings.Join(allowed, ", ")
		}
		return nil, fmt.Errorf("unknown parameter %s for %s:// (it takes: %s)", strings.Join(unknown, ", "), u.Scheme, known)
	}
	return &params{scheme: u.Scheme, q: u.Query, hidden: u.AfterSecret}, nil
}

func (p *params) str(name string) (string, bool) {
	vs, ok := p.q[name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

func (p *params) int(name string, lo, hi int64, dst *int) error {
	s, ok := p.str(name)
	if !ok {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("parameter %s: %s is not a whole number", name, p.value(name, s))
	}
	if n < lo || n > hi {
		return fmt.Errorf("parameter %s: %s is out of range [%d, %d]", name, p.number(name, strconv.FormatInt(n, 10)), lo, hi)
	}
	*dst = int(n)
	return nil
}

func (p *params) duration(name string, dst *time.Duration) error {
	s, ok := p.str(name)
	if !ok {
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("parameter %s: %s is not a duration such as 500ms or 2s", name, p.value(name, s))
	}
	if d < 0 {
		return fmt.Errorf("parameter %s: negative duration %s", name, p.number(name, d.String()))
	}
	*dst = d
	return nil
}

// positiveDuration reads a duration that must be more than 0 (a timeout:
// 0 would mean a library default, not none).
func (p *params) positiveDuration(name string, dst *time.Duration) error {
	if err := p.duration(name, dst); err != nil {
		return err
	}
	if _, set := p.str(name); set && *dst == 0 {
		return fmt.Errorf("parameter %s: a timeout must be more than 0", name)
	}
	return nil
}

func (p *params) bool(name string, dst *bool) error {
	s, ok := p.str(name)
	if !ok {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("parameter %s: %s is not true or false", name, p.value(name, s))
	}
	*dst = b
	return nil
}

func (p *params) size(name string, dst *int64) error {
	s, ok := p.str(name)
	if !ok {
		return nil
	}
	n, err := backends.ParseSize(s)
	if err != nil {
		if p.hidden[name] {
			return fmt.Errorf("parameter %s: %s is not a size such as 1GiB", name, p.value(name, s))
		}
		return fmt.Errorf("parameter %s: %w", name, err)
	}
	*dst = n
	return nil
}

// noAuthority refuses a user, password, host or path where a scheme takes
// none.
func (u *storageURL) noAuthority(path bool) error {
	if u.HasUser {
		return fmt.Errorf("%s:// takes no user or password", u.Scheme)
	}
	if len(u.Hosts) > 0 {
		return fmt.Errorf("%s:// takes no host, got %q", u.Scheme, strings.Join(u.Hosts, ","))
	}
	if !path && u.Path != "" && u.Path != "/" {
		return fmt.Errorf("%s:// takes no path, got %q", u.Scheme, u.Path)
	}
	return nil
}

func (u *storageURL) open() (backends.Storage, error) {
	switch u.Scheme {
	case "memory", "lru":
		return u.openMemory()
	case "dict", "dummy":
		if err := u.noAuthority(false); err != nil {
			return nil, err
		}
		if _, err := u.params(); err != nil {
			return nil, err
		}
		if u.Scheme == "dict" {
			return backends.NewDict(), nil
		}
		return backends.NewDummy(), nil
	case "memcache":
		return u.openMemcache()
	case "disk":
		return u.openDisk()
	default:
		return u.openRedis()
	}
}

func (u *storageURL) openMemory() (backends.Storage, error) {
	if err := u.noAuthority(false); err != nil {
		return nil, err
	}
	p, err := u.params("size")
	if err != nil {
		return nil, err
	}
	size := backends.DefaultMemorySize
	if err := p.int("size", 1, math.MaxInt32, &size); err != nil {
		return nil, err
	}
	return backends.NewLRU(size)
}

func (u *storageURL) openDisk() (backends.Storage, error) {
	if u.HasUser {
		return nil, errors.New("disk:// takes no user or password")
	}
	if len(u.Hosts) > 0 && !(len(u.Hosts) == 1 && u.Hosts[0] == "localhost") {
		return nil, fmt.Errorf("disk:// takes no host, got %q (write disk:///absolute/dir or disk:relative/dir)", strings.Join(u.Hosts, ","))
	}
	if u.Path == "" {
		return nil, errors.New("disk:// needs a directory path, as in disk:///var/cache/app")
	}
	p, err := u.params("size", "lock_timeout")
	if err != nil {
		return nil, err
	}
	var size int64
	lock := diskstore.DefaultLockTimeout
	if err := p.size("size", &size); err != nil {
		return nil, err
	}
	if err := p.duration("lock_timeout", &lock); err != nil {
		return nil, err
	}
	return diskstore.New(u.Path, diskstore.WithMaxBytes(size), diskstore.WithLockTimeout(lock))
}

// hostPort fills in defPort on a host[:port] item whose syntax
// parseStorageURL checked.
func hostPort(item, defPort string) string {
	if _, _, err := net.SplitHostPort(item); err == nil {
		return item
	}
	return net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(item, "["), "]"), defPort)
}

func (u *storageURL) addrs(defPort string) []string {
	out := make([]string, 0, len(u.Hosts))
	for _, h := range u.Hosts {
		out = append(out, hostPort(h, defPort))
	}
	return out
}

func (u *storageURL) openMemcache() (backends.Storage, error) {
	if u.HasUser {
		return nil, errors.New("memcache:// takes no user or password (memcached has no authentication here)")
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("memcache:// takes no path, got %q", u.Path)
	}
	if len(u.Hosts) == 0 {
		return nil, errors.New("memcache:// needs at least one host, as in memcache://127.0.0.1:11211")
	}
	addrs := u.addrs("11211")
	p, err := u.params("timeout", "max_idle_conns")
	if err != nil {
		return nil, err
	}
	timeout := DefaultOpenMemcacheTimeout
	var idle int
	if err := p.positiveDuration("timeout", &timeout); err != nil {
		return nil, err
	}
	if err := p.int("max_idle_conns", 0, math.MaxInt32, &idle); err != nil {
		return nil, err
	}
	// Names are resolved at each dial, not here (see memcachestore.Servers).
	ss, err := memcachestore.NewServers(addrs...)
	if err != nil {
		return nil, err
	}
	c := memcache.NewFromSelector(ss)
	c.Timeout = timeout
	c.MaxIdleConns = idle
	return memcachestore.Own(c, memcachestore.WithSelector(ss)), nil
}

// The client settings Open gives the clients it makes when the URL does not
// set them. go-redis's own defaults suit a database, not a cache: with a
// server refusing connections, each command dialled 5 times 100 ms apart
// and was retried 3 times, so a ring's Call took 1.8 s to 3.4 s (a get and
// a set) before it returned the function's result; a frozen server held a
// command 5 s per try. A cache that is sick should cost a miss, quickly.
const (
	// DefaultOpenDialTimeout bounds one dial of a Redis connection
	// (dial_timeout): 500 ms.
	DefaultOpenDialTimeout = 500 * time.Millisecond
	// DefaultOpenReadTimeout bounds the wait for a Redis answer
	// (read_timeout): 500 ms.
	DefaultOpenReadTimeout = 500 * time.Millisecond
	// DefaultOpenWriteTimeout bounds the write of a Redis command
	// (write_timeout): 500 ms.
	DefaultOpenWriteTimeout = 500 * time.Millisecond
	// DefaultOpenPoolTimeout bounds the wait for a free connection when
	// every connection of a Redis pool is busy (pool_timeout): 500 ms.
	DefaultOpenPoolTimeout = 500 * time.Millisecond
	// DefaultOpenMaxRetryBackoff caps go-redis's wait between two tries of
	// a command (when max_retries allows a retry) and between two tries of
	// a cluster command (max_retry_backoff): 100 ms (go-redis: 1 s).
	DefaultOpenMaxRetryBackoff = 100 * time.Millisecond
	// DefaultOpenMemcacheTimeout bounds each memcached dial, read and write
	// (timeout): 500 ms, gomemcache's own default.
	DefaultOpenMemcacheTimeout = 500 * time.Millisecond
)

// redisParam is a query parameter of the Redis schemes.
type redisParam struct {
	name string
	// only says which schemes take it: "" every Redis scheme, "db" those
	// with a database, "tls" the rediss ones, "cluster" or "sentinel".
	only string
	// kind is how Open checks its value: 't' a timeout (a Go duration more
	// than 0), 'd' a Go duration of 0 or more, 'b' true or false, 'n' a
	// whole number from lo to hi, 's' any text.
	kind   byte
	lo, hi int64
	// def is the value go-redis's parser gets when the URL leaves the
	// parameter out: ring's setting for a cache, where go-redis's differs.
	def string
}

// redisParams are the query parameters of the Redis schemes, in the order
// errors list them. go-redis's parsers would take a timeout of 0 for
// none, a plain number for seconds (min_retry_backoff=9223372037 overflows
// to -2562047h), any count, and a pool size on which NewClient panics
// (pool_size=2147483648): Open checks each value first.
var redisParams = []redisParam{
	{name: "dial_timeout", kind: 't', def: DefaultOpenDialTimeout.String()},
	{name: "read_timeout", kind: 't', def: DefaultOpenReadTimeout.String()},
	{name: "write_timeout", kind: 't', def: DefaultOpenWriteTimeout.String()},
	{name: "pool_timeout", kind: 't', def: DefaultOpenPoolTimeout.String()},
	{name: "pool_size", kind: 'n', lo: 1, hi: math.MaxInt32},
	{name: "min_idle_conns", kind: 'n', hi: math.MaxInt32},
	{name: "max_idle_conns", kind: 'n', hi: math.MaxInt32},
	{name: "max_retries", kind: 'n', lo: -1, hi: 100, def: "0"},
	{name: "dial_attempts", kind: 'n', lo: 1, hi: 100, def: "1"},
	{name: "protocol", kind: 'n', lo: 2, hi: 3},
	{name: "client_name", kind: 's'},
	// go-redis's own, with its meanings.
	{name: "min_retry_backoff", kind: 'd'},
	{name: "max_retry_backoff", kind: 'd', def: DefaultOpenMaxRetryBackoff.String()},
	{name: "conn_max_idle_time", kind: 'd'},
	{name: "conn_max_lifetime", kind: 'd'},
	{name: "max_active_conns", kind: 'n', hi: math.MaxInt32},
	{name: "pool_fifo", kind: 'b'},
	{name: "db", only: "db", kind: 'n', hi: math.MaxInt32},
	{name: "skip_verify", only: "tls", kind: 'b'},
	{name: "max_redirects", only: "cluster", kind: 'n', hi: 100},
	{name: "read_only", only: "cluster", kind: 'b'},
	{name: "route_by_latency", only: "cluster", kind: 'b'},
	{name: "route_randomly", only: "cluster", kind: 'b'},
	{name: "sentinel_username", only: "sentinel", kind: 's'},
	{name: "sentinel_password", only: "sentinel", kind: 's'},
	// ring's own: redisstore.AutoPipeline; go-redis's parsers do not see it.
	{name: "autopipeline", kind: 'b', def: "false"},
}

// takenBy reports whether a Redis scheme takes the parameter.
func (rp redisParam) takenBy(scheme string) bool {
	switch rp.only {
	case "":
		return true
	case "db":
		return !strings.HasSuffix(scheme, "+cluster")
	case "tls":
		return strings.HasPrefix(scheme, "rediss")
	default:
		return strings.HasSuffix(scheme, "+"+rp.only)
	}
}

// check checks the URL's value of the parameter, if it has one.
func (rp redisParam) check(p *params) error {
	var d time.Duration
	var n int
	var b bool
	switch rp.kind {
	case 't':
		return p.positiveDuration(rp.name, &d)
	case 'd':
		return p.duration(rp.name, &d)
	case 'b':
		return p.bool(rp.name, &b)
	case 'n':
		return p.int(rp.name, rp.lo, rp.hi, &n)
	}
	return nil
}

// value returns the URL's value of the parameter, or its default.
func (rp redisParam) value(p *params) string {
	if v, set := p.str(rp.name); set {
		return v
	}
	return rp.def
}

// redisQuery checks the query of a Redis URL: the names its scheme takes,
// and their values.
func (u *storageURL) redisQuery() (*params, error) {
	var allowed []string
	for _, rp := range redisParams {
		if rp.takenBy(u.Scheme) {
			allowed = append(allowed, rp.name)
		}
	}
	p, err := u.params(allowed...)
	if err != nil {
		return nil, err
	}
	for _, rp := range redisParams {
		if err := rp.check(p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// goRedis calls parse, one of go-redis's URL parsers, on g with the Redis
// parameters of p, and their defaults, in go-redis's terms, plus add. A
// name in rename takes go-redis's name ("" leaves the parameter out: Open
// sets its field). max_retries and max_redirects of 0 (none) become -1,
// since 0 is go-redis's default, and a boolean becomes true or false, the
// only words go-redis takes. g holds no user info, and skip_verify and the
// sentinel credentials are left out: Open sets credentials and TLS on the
// options it gets, so that no message of go-redis can quote a credential.
// A message that may quote a parameter written after a credential
// parameter, which may be a piece of it cut at an unencoded '&', is not
// shown.
func goRedis[T any](parse func(string) (T, error), name string, g *url.URL, p *params, rename map[string]string, add url.Values) (T, error) {
	q, hidden := url.Values{}, false
	for _, rp := range redisParams {
		to, ok := rename[rp.name]
		if !ok {
			to = rp.name
		}
		v := rp.value(p)
		if !rp.takenBy(p.scheme) || rp.only == "tls" || rp.only == "sentinel" || rp.name == "autopipeline" || to == "" || v == "" {
			continue
		}
		if rp.kind == 'b' {
			b, _ := strconv.ParseBool(v) // checked by redisQuery
			v = strconv.FormatBool(b)
		} else if n, err := strconv.Atoi(v); err == nil && n <= 0 && (rp.name == "max_retries" || rp.name == "max_redirects") {
			v = "-1"
		}
		q[to], hidden = []string{v}, hidden || p.hidden[rp.name]
	}
	for k, vs := range add {
		q[k] = vs
	}
	g.RawQuery = q.Encode()
	o, err := parse(g.String())
	switch {
	case err == nil:
		return o, nil
	case hidden:
		return o, fmt.Errorf("go-redis's %s refused the URL made of this one, with parameters written after a credential parameter, "+
			"which its message may quote: the message is not shown", name)
	default:
		return o, fmt.Errorf("go-redis's %s refused the URL made of this one: %w", name, err)
	}
}

// tlsConfig returns the TLS settings of the rediss schemes (nil for the
// others). ServerName stays empty: the TLS dialer takes it from the address
// of each node it dials, which is right for clusters and sentinels too
// (go-redis's parsers set the name of the first host, which is wrong for
// the other nodes of a cluster and for a master found through sentinels).
func (u *storageURL) tlsConfig(p *params) *tls.Config {
	if !strings.HasPrefix(u.Scheme, "rediss") {
		return nil
	}
	var skip bool
	_ = p.bool("skip_verify", &skip) // checked by redisQuery
	//nolint:gosec // skip_verify is the user's explicit choice
	return &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: skip}
}

// openRedis builds the client of a Redis scheme: a *redis.Client for one
// node, a *redis.ClusterClient, or the *redis.Client of
// redis.NewFailoverClient for Sentinel.
func (u *storageURL) openRedis() (backends.Storage, error) {
	var c redis.UniversalClient
	switch u.Scheme {
	case "redis", "rediss", "redis+unix":
		o, err := u.redisOptions()
		if err != nil {
			return nil, err
		}
		c = redis.NewClient(o)
	case "redis+cluster", "rediss+cluster":
		o, err := u.redisClusterOptions()
		if err != nil {
			return nil, err
		}
		c = redis.NewClusterClient(o)
	default: // redis+sentinel, rediss+sentinel
		o, err := u.redisFailoverOptions()
		if err != nil {
			return nil, err
		}
		c = redis.NewFailoverClient(o)
	}
	var opts []redisstore.Option
	if p, err := u.redisQuery(); err == nil { // checked above
		if ap, _ := strconv.ParseBool(redisParam{name: "autopipeline", def: "false"}.value(p)); ap {
			opts = append(opts, redisstore.AutoPipeline())
		}
	}
	return redisstore.Own(c, opts...), nil
}

// redisOptions translates redis://, rediss:// and redis+unix:// for
// go-redis's ParseURL (redis:// and unix://, the database from the path or
// ?db=, which wins).
func (u *storageURL) redisOptions() (*redis.Options, error) {
	p, err := u.redisQuery()
	if err != nil {
		return nil, err
	}
	g := &url.URL{Scheme: "redis", Path: u.Path}
	if u.Scheme == "redis+unix" {
		if len(u.Hosts) > 0 {
			return nil, fmt.Errorf("redis+unix:// takes no host, got %q (write redis+unix:///path/to/redis.sock)", strings.Join(u.Hosts, ","))
		}
		if u.Path == "" || u.Path == "/" {
			return nil, errors.New("redis+unix:// needs a socket path, as in redis+unix:///run/redis.sock")
		}
		// A relative path, which a unix:// URL cannot hold, is set below.
		g.Scheme, g.Path = "unix", "/"+strings.TrimPrefix(u.Path, "/")
	} else {
		if len(u.Hosts) > 1 {
			return nil, fmt.Errorf("%s:// takes one host, got %d (use redis+cluster:// or redis+sentinel:// for several)", u.Scheme, len(u.Hosts))
		}
		if len(u.Hosts) == 1 {
			g.Host = hostPort(u.Hosts[0], "6379")
		}
		// go-redis takes a negative database.
		if db := strings.Trim(u.Path, "/"); db != "" {
			if n, err := strconv.Atoi(db); err != nil || n < 0 {
				return nil, fmt.Errorf("path %q is not a database number", u.Path)
			}
		}
	}
	// ParseURL takes no dialer_retries.
	o, err := goRedis(redis.ParseURL, "ParseURL", g, p, map[string]string{"dial_attempts": ""}, nil)
	if err != nil {
		return nil, err
	}
	if g.Scheme == "unix" {
		o.Addr = u.Path
	}
	o.Username, o.Password, o.TLSConfig, o.ContextTimeoutEnabled = u.User, u.Password, u.tlsConfig(p), true
	i := slices.IndexFunc(redisParams, func(rp redisParam) bool { return rp.name == "dial_attempts" })
	o.DialerRetries, _ = strconv.Atoi(redisParams[i].value(p)) // checked by redisQuery
	return o, nil
}

// redisClusterOptions translates the cluster schemes for go-redis's
// ParseClusterURL: the first host, the others as addr parameters.
func (u *storageURL) redisClusterOptions() (*redis.ClusterOptions, error) {
	p, err := u.redisQuery()
	if err != nil {
		return nil, err
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("%s:// takes no path (a cluster has only database 0), got %q", u.Scheme, u.Path)
	}
	if len(u.Hosts) == 0 {
		return nil, fmt.Errorf("%s:// needs at least one host, as in %s://host1:7000,host2:7001", u.Scheme, u.Scheme)
	}
	addrs := u.addrs("6379")
	o, err := goRedis(redis.ParseClusterURL, "ParseClusterURL", &url.URL{Scheme: "redis", Host: addrs[0]}, p,
		map[string]string{"dial_attempts": "dialer_retries"}, url.Values{"addr": addrs[1:]})
	if err != nil {
		return nil, err
	}
	o.Username, o.Password, o.TLSConfig, o.ContextTimeoutEnabled = u.User, u.Password, u.tlsConfig(p), true
	return o, nil
}

// redisFailoverOptions translates the sentinel schemes for go-redis's
// ParseFailoverURL: the first sentinel, the others as addr parameters, the
// master name as master_name. go-redis's URL gives the sentinels the
// credentials of its user info and Redis those of its username and
// password parameters; Open sets all four itself.
func (u *storageURL) redisFailoverOptions() (*redis.FailoverOptions, error) {
	p, err := u.redisQuery()
	if err != nil {
		return nil, err
	}
	if len(u.Hosts) == 0 {
		return nil, fmt.Errorf("%s:// needs at least one sentinel host, as in %s://host:26379/mymaster", u.Scheme, u.Scheme)
	}
	master := strings.Trim(u.Path, "/")
	if master == "" || strings.Contains(master, "/") {
		return nil, fmt.Errorf("%s:// needs the master name as the only path segment, as in %s://host:26379/mymaster, got path %q", u.Scheme, u.Scheme, u.Path)
	}
	addrs := u.addrs("26379")
	o, err := goRedis(redis.ParseFailoverURL, "ParseFailoverURL", &url.URL{Scheme: "redis", Host: addrs[0]}, p,
		map[string]string{"dial_attempts": "dialer_retries"}, url.Values{"addr": addrs[1:], "master_name": {master}})
	if err != nil {
		return nil, err
	}
	o.Username, o.Password, o.TLSConfig, o.ContextTimeoutEnabled = u.User, u.Password, u.tlsConfig(p), true
	o.SentinelUsername, _ = p.str("sentinel_username")
	o.SentinelPassword, _ = p.str("sentinel_password")
	return o, nil
}
