package backends

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
)

// DefaultMemorySize is the size of the LRU backend that memory:// opens when
// the URL gives none; ring.DefaultLRUSize is the same.
const DefaultMemorySize = 1024

// Open returns the backend that rawURL describes. The scheme chooses the
// backend; query parameters configure it. An unknown scheme, an unknown or
// repeated parameter, or a bad value is an error that names it. Errors never
// show a password: the URL is shown with its password replaced by "xxxxx".
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
// Every Redis scheme also takes dial_timeout, read_timeout, write_timeout,
// pool_timeout (Go durations such as 500ms), pool_size, min_idle_conns,
// max_idle_conns, max_retries (-1: none), protocol (2 or 3) and client_name.
// Redis clients made by Open have ContextTimeoutEnabled set, so a ctx
// deadline also bounds network I/O.
//
// Sizes (size of disk://) are whole numbers with an optional unit: B, KB,
// MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024).
//
// The Redis and memcached backends that Open makes are wrapped with
// [Cancelable], so a call returns as soon as its context ends; [Unwrap]
// gives the *Redis or *Memcache.
//
// Open connects to nothing: go-redis and gomemcache connect on first use, so
// a server that is down makes the calls fail, not Open (memcache host names
// are resolved by Open, though). Backends that Open makes own their client:
// close them with [Closer] when done (a Disk must be closed to release its
// file lock).
func Open(rawURL string) (Storage, error) {
	u, err := parseStorageURL(rawURL)
	if err != nil {
		return nil, err
	}
	s, err := u.open()
	if err != nil {
		return nil, u.errorf("%w", err)
	}
	if strings.HasPrefix(u.scheme, "redis") || u.scheme == "memcache" {
		// Their clients cannot stop a call in flight on a cancelled context.
		s = Cancelable(s)
	}
	return s, nil
}

// storageURL is a backend URL split by hand, so that the password never
// reaches a parser that might quote it in an error.
type storageURL struct {
	scheme       string
	hasAuthority bool
	hasUser      bool
	user         string
	password     string
	hosts        []string // raw host[:port] items of the authority
	path         string   // decoded path (or opaque part)
	query        url.Values
	rawRest      string // path, query and fragment as given
}

// schemeNames lists the schemes Open knows, for error messages.
var schemeNames = []string{
	"memory", "lru", "dict", "dummy",
	"redis", "rediss", "redis+unix", "redis+cluster", "rediss+cluster", "redis+sentinel", "rediss+sentinel",
	"memcache", "disk",
}

func parseStorageURL(raw string) (*storageURL, error) {
	i := strings.IndexByte(raw, ':')
	if i <= 0 {
		return nil, fmt.Errorf("ring: open: URL has no scheme (want one of %s)", strings.Join(schemeNames, ", "))
	}
	u := &storageURL{scheme: strings.ToLower(raw[:i])}
	if !slices.Contains(schemeNames, u.scheme) {
		return nil, fmt.Errorf("ring: open: unknown scheme %q (want one of %s)", u.scheme, strings.Join(schemeNames, ", "))
	}
	rest := raw[i+1:]
	if strings.HasPrefix(rest, "//") {
		u.hasAuthority = true
		rest = rest[2:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		authority := rest[:end]
		rest = rest[end:]
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			u.hasUser = true
			userinfo := authority[:at]
			authority = authority[at+1:]
			name, pass, _ := strings.Cut(userinfo, ":")
			var err1, err2 error
			u.user, err1 = url.PathUnescape(name)
			u.password, err2 = url.PathUnescape(pass)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("ring: open %s://: bad percent-encoding in the user name or password", u.scheme)
			}
		}
		if authority != "" {
			u.hosts = strings.Split(authority, ",")
		}
	}
	u.rawRest = rest
	ref, err := url.Parse(rest)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, u.errorf("bad path or query: %v", err)
	}
	if ref.Fragment != "" || strings.Contains(rest, "#") {
		return nil, u.errorf("unexpected fragment")
	}
	u.path = ref.Path
	if u.query, err = url.ParseQuery(ref.RawQuery); err != nil {
		return nil, u.errorf("bad query: %v", err)
	}
	return u, nil
}

// redacted returns the URL as given, with the password and the value of
// sentinel_password replaced by "xxxxx".
func (u *storageURL) redacted() string {
	var b strings.Builder
	b.WriteString(u.scheme)
	b.WriteByte(':')
	if u.hasAuthority {
		b.WriteString("//")
		if u.hasUser {
			b.WriteString(url.PathEscape(u.user))
			if u.password != "" {
				b.WriteString(":xxxxx")
			}
			b.WriteByte('@')
		}
		b.WriteString(strings.Join(u.hosts, ","))
	}
	rest := u.rawRest
	if q := strings.IndexByte(rest, '?'); q >= 0 && u.query.Has("sentinel_password") {
		redacted := make(url.Values, len(u.query))
		for k, v := range u.query {
			redacted[k] = v
		}
		redacted["sentinel_password"] = []string{"xxxxx"}
		rest = rest[:q+1] + redacted.Encode()
	}
	b.WriteString(rest)
	return b.String()
}

func (u *storageURL) errorf(format string, args ...any) error {
	return fmt.Errorf("ring: open %q: "+format, append([]any{u.redacted()}, args...)...)
}

// params checks the query against the names a scheme takes and reads
// values with validation.
type params struct {
	scheme string
	q      url.Values
}

func (u *storageURL) params(allowed ...string) (*params, error) {
	var unknown []string
	for name, vs := range u.query {
		if !slices.Contains(allowed, name) {
			unknown = append(unknown, name)
			continue
		}
		if len(vs) > 1 {
			return nil, fmt.Errorf("parameter %s given %d times", name, len(vs))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		known := "none"
		if len(allowed) > 0 {
			known = strings.Join(allowed, ", ")
		}
		return nil, fmt.Errorf("unknown parameter %s for %s:// (it takes: %s)", strings.Join(unknown, ", "), u.scheme, known)
	}
	return &params{scheme: u.scheme, q: u.query}, nil
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
		return fmt.Errorf("parameter %s: %q is not a whole number", name, s)
	}
	if n < lo || n > hi {
		return fmt.Errorf("parameter %s: %d is out of range [%d, %d]", name, n, lo, hi)
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
		return fmt.Errorf("parameter %s: %q is not a duration such as 500ms or 2s", name, s)
	}
	if d < 0 {
		return fmt.Errorf("parameter %s: negative duration %v", name, d)
	}
	*dst = d
	return nil
}

func (p *params) bool(name string, dst *bool) error {
	s, ok := p.str(name)
	if !ok {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("parameter %s: %q is not true or false", name, s)
	}
	*dst = b
	return nil
}

func (p *params) size(name string, dst *int64) error {
	s, ok := p.str(name)
	if !ok {
		return nil
	}
	n, err := ParseSize(s)
	if err != nil {
		return fmt.Errorf("parameter %s: %w", name, err)
	}
	*dst = n
	return nil
}

// sizeUnits maps the upper-cased unit suffixes ParseSize takes to their
// multipliers.
var sizeUnits = map[string]int64{
	"": 1, "B": 1,
	"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
	"KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40,
}

// ParseSize parses a byte size: a whole number with an optional unit, B,
// KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024),
// in any letter case, for example "1GiB" or "500MB".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("size %q does not start with a whole number", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	mult, ok := sizeUnits[strings.ToUpper(strings.TrimSpace(t[i:]))]
	if !ok {
		return 0, fmt.Errorf("size %q has an unknown unit (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", s)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n * mult, nil
}

// noAuthority refuses a user, password, host or path where a scheme takes
// none.
func (u *storageURL) noAuthority(path bool) error {
	if u.hasUser {
		return fmt.Errorf("%s:// takes no user or password", u.scheme)
	}
	if len(u.hosts) > 0 {
		return fmt.Errorf("%s:// takes no host, got %q", u.scheme, strings.Join(u.hosts, ","))
	}
	if !path && u.path != "" && u.path != "/" {
		return fmt.Errorf("%s:// takes no path, got %q", u.scheme, u.path)
	}
	return nil
}

func (u *storageURL) open() (Storage, error) {
	switch u.scheme {
	case "memory", "lru":
		return u.openMemory()
	case "dict", "dummy":
		if err := u.noAuthority(false); err != nil {
			return nil, err
		}
		if _, err := u.params(); err != nil {
			return nil, err
		}
		if u.scheme == "dict" {
			return NewDict(), nil
		}
		return NewDummy(), nil
	case "memcache":
		return u.openMemcache()
	case "disk":
		return u.openDisk()
	default:
		return u.openRedis()
	}
}

func (u *storageURL) openMemory() (Storage, error) {
	if err := u.noAuthority(false); err != nil {
		return nil, err
	}
	p, err := u.params("size")
	if err != nil {
		return nil, err
	}
	size := DefaultMemorySize
	if err := p.int("size", 1, math.MaxInt32, &size); err != nil {
		return nil, err
	}
	return NewLRU(size)
}

func (u *storageURL) openDisk() (Storage, error) {
	if u.hasUser {
		return nil, errors.New("disk:// takes no user or password")
	}
	if len(u.hosts) > 0 && !(len(u.hosts) == 1 && u.hosts[0] == "localhost") {
		return nil, fmt.Errorf("disk:// takes no host, got %q (write disk:///absolute/dir or disk:relative/dir)", strings.Join(u.hosts, ","))
	}
	if u.path == "" {
		return nil, errors.New("disk:// needs a directory path, as in disk:///var/cache/app")
	}
	p, err := u.params("size", "lock_timeout")
	if err != nil {
		return nil, err
	}
	var size int64
	lock := diskDefaultLockTimeout
	if err := p.size("size", &size); err != nil {
		return nil, err
	}
	if err := p.duration("lock_timeout", &lock); err != nil {
		return nil, err
	}
	return NewDisk(u.path, DiskMaxBytes(size), DiskLockTimeout(lock))
}

// hostPort validates one host[:port] item and fills in defPort.
func hostPort(item, defPort string) (string, error) {
	if item == "" {
		return "", errors.New("empty host in the host list")
	}
	host, port, err := net.SplitHostPort(item)
	if err != nil {
		// No port: the whole item is the host (an IPv6 literal in brackets).
		host, port = strings.TrimSuffix(strings.TrimPrefix(item, "["), "]"), defPort
		if strings.ContainsAny(host, "[]") || (strings.Contains(host, ":") && !strings.HasPrefix(item, "[")) {
			return "", fmt.Errorf("bad host %q", item)
		}
	}
	if host == "" {
		return "", fmt.Errorf("host %q has no host name", item)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("host %q: bad port %q", item, port)
	}
	return net.JoinHostPort(host, port), nil
}

func (u *storageURL) addrs(defPort string) ([]string, error) {
	out := make([]string, 0, len(u.hosts))
	for _, h := range u.hosts {
		a, err := hostPort(h, defPort)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (u *storageURL) openMemcache() (Storage, error) {
	if u.hasUser {
		return nil, errors.New("memcache:// takes no user or password (memcached has no authentication here)")
	}
	if u.path != "" && u.path != "/" {
		return nil, fmt.Errorf("memcache:// takes no path, got %q", u.path)
	}
	if len(u.hosts) == 0 {
		return nil, errors.New("memcache:// needs at least one host, as in memcache://127.0.0.1:11211")
	}
	addrs, err := u.addrs("11211")
	if err != nil {
		return nil, err
	}
	p, err := u.params("timeout", "max_idle_conns")
	if err != nil {
		return nil, err
	}
	var timeout time.Duration
	var idle int
	if err := p.duration("timeout", &timeout); err != nil {
		return nil, err
	}
	if err := p.int("max_idle_conns", 0, math.MaxInt32, &idle); err != nil {
		return nil, err
	}
	ss := new(memcache.ServerList)
	if err := ss.SetServers(addrs...); err != nil {
		return nil, fmt.Errorf("memcache servers %s: %w", strings.Join(addrs, ","), err)
	}
	c := memcache.NewFromSelector(ss)
	c.Timeout = timeout
	c.MaxIdleConns = idle
	m := NewMemcache(c, MemcacheSelector(ss))
	m.owned = true
	return m, nil
}

// redisParams are the query parameters every Redis scheme takes.
var redisParams = []string{
	"dial_timeout", "read_timeout", "write_timeout", "pool_timeout",
	"pool_size", "min_idle_conns", "max_idle_conns", "max_retries", "protocol", "client_name",
}

// redisCommon holds the values of redisParams.
type redisCommon struct {
	dial, read, write, pool time.Duration
	poolSize, minIdle       int
	maxIdle, maxRetries     int
	protocol                int
	clientName              string
}

func (p *params) redisCommon() (redisCommon, error) {
	var c redisCommon
	for _, err := range []error{
		p.duration("dial_timeout", &c.dial),
		p.duration("read_timeout", &c.read),
		p.duration("write_timeout", &c.write),
		p.duration("pool_timeout", &c.pool),
		p.int("pool_size", 1, math.MaxInt32, &c.poolSize),
		p.int("min_idle_conns", 0, math.MaxInt32, &c.minIdle),
		p.int("max_idle_conns", 0, math.MaxInt32, &c.maxIdle),
		p.int("max_retries", -1, 100, &c.maxRetries),
		p.int("protocol", 2, 3, &c.protocol),
	} {
		if err != nil {
			return c, err
		}
	}
	c.clientName, _ = p.str("client_name")
	return c, nil
}

func (c redisCommon) apply(o *redis.Options) {
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = c.dial, c.read, c.write, c.pool
	o.PoolSize, o.MinIdleConns, o.MaxIdleConns, o.MaxRetries = c.poolSize, c.minIdle, c.maxIdle, c.maxRetries
	o.Protocol, o.ClientName = c.protocol, c.clientName
	o.ContextTimeoutEnabled = true
}

// tlsConfig returns the TLS settings of the rediss schemes (nil for the
// others). ServerName stays empty: the TLS dialer takes it from the address
// of each node it dials, which is right for clusters and sentinels too.
func (u *storageURL) tlsConfig(skipVerify bool) *tls.Config {
	if !strings.HasPrefix(u.scheme, "rediss") {
		return nil
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: skipVerify} //nolint:gosec // skip_verify is the user's explicit choice
}

// db reads the database number from a path "/N" and from ?db=N (which wins).
func (u *storageURL) db(p *params, fromPath bool) (int, error) {
	db := 0
	if path := strings.Trim(u.path, "/"); fromPath && path != "" {
		n, err := strconv.Atoi(path)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("path %q is not a database number", u.path)
		}
		db = n
	}
	if err := p.int("db", 0, math.MaxInt32, &db); err != nil {
		return 0, err
	}
	return db, nil
}

// openRedis builds the client of a Redis scheme: a *redis.Client for one
// node, a *redis.ClusterClient, or the *redis.Client of
// redis.NewFailoverClient for Sentinel.
func (u *storageURL) openRedis() (Storage, error) {
	tlsParams := func(names ...string) []string {
		out := append(slices.Clone(redisParams), names...)
		if strings.HasPrefix(u.scheme, "rediss") {
			out = append(out, "skip_verify")
		}
		return out
	}
	switch u.scheme {
	case "redis", "rediss", "redis+unix":
		o, err := u.redisOptions(tlsParams("db"))
		if err != nil {
			return nil, err
		}
		return u.ownedRedis(redis.NewClient(o)), nil
	case "redis+cluster", "rediss+cluster":
		o, err := u.redisClusterOptions(tlsParams())
		if err != nil {
			return nil, err
		}
		return u.ownedRedis(redis.NewClusterClient(o)), nil
	default: // redis+sentinel, rediss+sentinel
		o, err := u.redisFailoverOptions(tlsParams("db", "sentinel_username", "sentinel_password"))
		if err != nil {
			return nil, err
		}
		return u.ownedRedis(redis.NewFailoverClient(o)), nil
	}
}

func (u *storageURL) ownedRedis(c redis.UniversalClient) *Redis {
	r := NewRedis(c)
	r.owned = true
	return r
}

func (u *storageURL) redisOptions(allowed []string) (*redis.Options, error) {
	p, err := u.params(allowed...)
	if err != nil {
		return nil, err
	}
	o := &redis.Options{Username: u.user, Password: u.password}
	if u.scheme == "redis+unix" {
		if len(u.hosts) > 0 {
			return nil, fmt.Errorf("redis+unix:// takes no host, got %q (write redis+unix:///path/to/redis.sock)", strings.Join(u.hosts, ","))
		}
		if u.path == "" || u.path == "/" {
			return nil, errors.New("redis+unix:// needs a socket path, as in redis+unix:///run/redis.sock")
		}
		o.Network, o.Addr = "unix", u.path
		if o.DB, err = u.db(p, false); err != nil {
			return nil, err
		}
	} else {
		if len(u.hosts) > 1 {
			return nil, fmt.Errorf("%s:// takes one host, got %d (use redis+cluster:// or redis+sentinel:// for several)", u.scheme, len(u.hosts))
		}
		host := "localhost"
		if len(u.hosts) == 1 {
			host = u.hosts[0]
		}
		if o.Addr, err = hostPort(host, "6379"); err != nil {
			return nil, err
		}
		o.Network = "tcp"
		if o.DB, err = u.db(p, true); err != nil {
			return nil, err
		}
	}
	if err := u.redisShared(p, o); err != nil {
		return nil, err
	}
	return o, nil
}

// redisShared reads the parameters every Redis scheme takes (timeouts,
// pool, protocol, client name, skip_verify) into o, with its TLS config.
func (u *storageURL) redisShared(p *params, o *redis.Options) error {
	c, err := p.redisCommon()
	if err != nil {
		return err
	}
	c.apply(o)
	var skip bool
	if err := p.bool("skip_verify", &skip); err != nil {
		return err
	}
	o.TLSConfig = u.tlsConfig(skip)
	return nil
}

func (u *storageURL) redisClusterOptions(allowed []string) (*redis.ClusterOptions, error) {
	p, err := u.params(allowed...)
	if err != nil {
		return nil, err
	}
	if u.path != "" && u.path != "/" {
		return nil, fmt.Errorf("%s:// takes no path (a cluster has only database 0), got %q", u.scheme, u.path)
	}
	if len(u.hosts) == 0 {
		return nil, fmt.Errorf("%s:// needs at least one host, as in %s://host1:7000,host2:7001", u.scheme, u.scheme)
	}
	addrs, err := u.addrs("6379")
	if err != nil {
		return nil, err
	}
	var one redis.Options
	if err := u.redisShared(p, &one); err != nil {
		return nil, err
	}
	return &redis.ClusterOptions{
		Addrs:    addrs,
		Username: u.user, Password: u.password,
		DialTimeout: one.DialTimeout, ReadTimeout: one.ReadTimeout, WriteTimeout: one.WriteTimeout, PoolTimeout: one.PoolTimeout,
		PoolSize: one.PoolSize, MinIdleConns: one.MinIdleConns, MaxIdleConns: one.MaxIdleConns, MaxRetries: one.MaxRetries,
		Protocol: one.Protocol, ClientName: one.ClientName,
		ContextTimeoutEnabled: true,
		TLSConfig:             one.TLSConfig,
	}, nil
}

func (u *storageURL) redisFailoverOptions(allowed []string) (*redis.FailoverOptions, error) {
	p, err := u.params(allowed...)
	if err != nil {
		return nil, err
	}
	if len(u.hosts) == 0 {
		return nil, fmt.Errorf("%s:// needs at least one sentinel host, as in %s://host:26379/mymaster", u.scheme, u.scheme)
	}
	master := strings.Trim(u.path, "/")
	if master == "" || strings.Contains(master, "/") {
		return nil, fmt.Errorf("%s:// needs the master name as the only path segment, as in %s://host:26379/mymaster, got path %q", u.scheme, u.scheme, u.path)
	}
	addrs, err := u.addrs("26379")
	if err != nil {
		return nil, err
	}
	db, err := u.db(p, false)
	if err != nil {
		return nil, err
	}
	var one redis.Options
	if err := u.redisShared(p, &one); err != nil {
		return nil, err
	}
	o := &redis.FailoverOptions{
		MasterName:    master,
		SentinelAddrs: addrs,
		Username:      u.user, Password: u.password,
		DB:          db,
		DialTimeout: one.DialTimeout, ReadTimeout: one.ReadTimeout, WriteTimeout: one.WriteTimeout, PoolTimeout: one.PoolTimeout,
		PoolSize: one.PoolSize, MinIdleConns: one.MinIdleConns, MaxIdleConns: one.MaxIdleConns, MaxRetries: one.MaxRetries,
		Protocol: one.Protocol, ClientName: one.ClientName,
		ContextTimeoutEnabled: true,
		TLSConfig:             one.TLSConfig,
	}
	o.SentinelUsername, _ = p.str("sentinel_username")
	o.SentinelPassword, _ = p.str("sentinel_password")
	return o, nil
}
