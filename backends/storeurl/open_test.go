package storeurl

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/diskstore"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// secret is the password in the URLs of these tests: no error may show it.
const secret = "s3cr3tpw"

func openOK(t *testing.T, raw string) backends.Storage {
	t.Helper()
	s, err := Open(raw)
	if err != nil {
		t.Fatalf("Open(%q): %v", raw, err)
	}
	if c, ok := s.(backends.Closer); ok {
		t.Cleanup(func() { _ = c.Close() })
	}
	return s
}

func redisOpts(t *testing.T, s backends.Storage) *redis.Options {
	t.Helper()
	c, ok := s.Raw().(*redis.Client)
	if !ok {
		t.Fatalf("Raw() is a %T, want *redis.Client", s.Raw())
	}
	return c.Options()
}

func TestOpenInProcess(t *testing.T) {
	for raw, size := range map[string]int{"memory://?size=1024": 1024, "lru://": backends.DefaultMemorySize, "MEMORY://?size=5": 5, "memory:": backends.DefaultMemorySize} {
		l, ok := openOK(t, raw).(*backends.LRU)
		if !ok || l.Size() != size {
			t.Errorf("Open(%q) = %T of size %d, want *LRU of size %d", raw, l, l.Size(), size)
		}
	}
	if _, ok := openOK(t, "dict://").(*backends.Dict); !ok {
		t.Error("dict:// is not a *Dict")
	}
	if _, ok := openOK(t, "dummy://").(backends.Dummy); !ok {
		t.Error("dummy:// is not a Dummy")
	}
}

func TestOpenRedis(t *testing.T) {
	o := redisOpts(t, openOK(t, "redis://user:"+secret+"@127.0.0.1:6380/2?dial_timeout=1s&read_timeout=250ms&write_timeout=2s&pool_timeout=3s&pool_size=5&min_idle_conns=1&max_idle_conns=4&max_retries=-1&protocol=2&client_name=app"))
	want := redis.Options{
		Network: "tcp", Addr: "127.0.0.1:6380", DB: 2, Username: "user", Password: secret,
		DialTimeout: time.Second, ReadTimeout: 250 * time.Millisecond, WriteTimeout: 2 * time.Second, PoolTimeout: 3 * time.Second,
		// go-redis turns max_retries=-1 (none) into 0; unset would be 3.
		PoolSize: 5, MinIdleConns: 1, MaxIdleConns: 4, MaxRetries: 0, Protocol: 2, ClientName: "app",
	}
	got := redis.Options{
		Network: o.Network, Addr: o.Addr, DB: o.DB, Username: o.Username, Password: o.Password,
		DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout, PoolTimeout: o.PoolTimeout,
		PoolSize: o.PoolSize, MinIdleConns: o.MinIdleConns, MaxIdleConns: o.MaxIdleConns, MaxRetries: o.MaxRetries, Protocol: o.Protocol, ClientName: o.ClientName,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("options\n got %+v\nwant %+v", got, want)
	}
	if !o.ContextTimeoutEnabled || o.TLSConfig != nil {
		t.Errorf("ContextTimeoutEnabled %v, TLS %v", o.ContextTimeoutEnabled, o.TLSConfig)
	}

	for raw, c := range map[string]struct {
		addr string
		db   int
	}{
		"redis://":                  {"localhost:6379", 0},
		"redis://h":                 {"h:6379", 0},
		"redis://h/3?db=4":          {"h:6379", 4},
		"redis://h:1/":              {"h:1", 0},
		"redis://[::1]:6380/1":      {"[::1]:6380", 1},
		"redis://[::1]":             {"[::1]:6379", 0},
		"redis://:" + secret + "@h": {"h:6379", 0},
	} {
		o := redisOpts(t, openOK(t, raw))
		if o.Addr != c.addr || o.DB != c.db {
			t.Errorf("Open(%q): addr %q db %d, want %q %d", raw, o.Addr, o.DB, c.addr, c.db)
		}
	}

	o = redisOpts(t, openOK(t, "rediss://h:6390?skip_verify=true"))
	if o.TLSConfig == nil || !o.TLSConfig.InsecureSkipVerify {
		t.Errorf("rediss:// TLS config %+v", o.TLSConfig)
	}
	o = redisOpts(t, openOK(t, "rediss://h"))
	if o.TLSConfig == nil || o.TLSConfig.InsecureSkipVerify {
		t.Errorf("rediss:// TLS config %+v", o.TLSConfig)
	}

	o = redisOpts(t, openOK(t, "redis+unix:///run/redis/redis.sock?db=3"))
	if o.Network != "unix" || o.Addr != "/run/redis/redis.sock" || o.DB != 3 {
		t.Errorf("redis+unix: network %q addr %q db %d", o.Network, o.Addr, o.DB)
	}
}

func TestOpenRedisCluster(t *testing.T) {
	s := openOK(t, "redis+cluster://u:"+secret+"@h1:7000,h2:7001,[::1]:7002,h4?read_timeout=2s&pool_size=3")
	c, ok := s.Raw().(*redis.ClusterClient)
	if !ok {
		t.Fatalf("Raw() is a %T", s.Raw())
	}
	o := c.Options()
	if strings.Join(o.Addrs, ",") != "h1:7000,h2:7001,[::1]:7002,h4:6379" || o.ReadTimeout != 2*time.Second || o.PoolSize != 3 ||
		o.Username != "u" || o.Password != secret || !o.ContextTimeoutEnabled || o.TLSConfig != nil {
		t.Errorf("cluster options %+v", o)
	}
	o = openOK(t, "rediss+cluster://h1:7000").Raw().(*redis.ClusterClient).Options()
	if o.TLSConfig == nil {
		t.Error("rediss+cluster:// has no TLS config")
	}
}

func TestOpenRedisSentinel(t *testing.T) {
	raw := "redis+sentinel://u:" + secret + "@s1:26380,s2/mymaster?db=2&sentinel_username=su&sentinel_password=" + secret + "x&dial_timeout=1s"
	u, err := parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	o, err := u.redisFailoverOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.MasterName != "mymaster" || strings.Join(o.SentinelAddrs, ",") != "s1:26380,s2:26379" || o.DB != 2 ||
		o.Username != "u" || o.Password != secret || o.SentinelUsername != "su" || o.SentinelPassword != secret+"x" ||
		o.DialTimeout != time.Second || !o.ContextTimeoutEnabled || o.TLSConfig != nil {
		t.Errorf("failover options %+v", o)
	}
	s := openOK(t, raw)
	if _, ok := backends.Unwrap(s).(*redisstore.Store); !ok {
		t.Fatalf("Open(sentinel) = %T", s)
	}
	if redisOpts(t, s).DB != 2 {
		t.Error("sentinel db not set")
	}
	u, _ = parse("rediss+sentinel://s1/m")
	o, err = u.redisFailoverOptions()
	if err != nil || o.TLSConfig == nil {
		t.Errorf("rediss+sentinel: %v %+v", err, o)
	}
}

func TestOpenMemcache(t *testing.T) {
	s := openOK(t, "memcache://127.0.0.1:11211,127.0.0.2,[::1]:11212?timeout=100ms&max_idle_conns=3")
	m, ok := backends.Unwrap(s).(*memcachestore.Store)
	if !ok {
		t.Fatalf("Open(memcache) = %T", s)
	}
	c := m.Raw().(*memcache.Client)
	if c.Timeout != 100*time.Millisecond || c.MaxIdleConns != 3 {
		t.Errorf("timeout %v idle %d", c.Timeout, c.MaxIdleConns)
	}
}

func TestOpenDisk(t *testing.T) {
	dir := t.TempDir()
	d, ok := openOK(t, "disk://"+dir+"/cache?size=1GiB&lock_timeout=50ms").(*diskstore.Store)
	if !ok || d.MaxBytes() != 1<<30 || d.Path() != filepath.Join(dir, "cache", diskstore.FileName) {
		t.Fatalf("disk: %T max %d path %q", d, d.MaxBytes(), d.Path())
	}
	t.Chdir(dir)
	d, ok = openOK(t, "disk:rel/dir").(*diskstore.Store)
	// A relative path is made absolute, so that two spellings of one
	// directory share one open file.
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || d.MaxBytes() != 0 || d.Path() != filepath.Join(realDir, "rel", "dir", diskstore.FileName) {
		t.Fatalf("disk:rel/dir: %T path %q", d, d.Path())
	}
	if _, ok := openOK(t, "disk://localhost"+dir+"/other").(*diskstore.Store); !ok {
		t.Fatal("disk://localhost/path refused")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for raw, want := range map[string][]string{
		"":                                        {"URL has no scheme"},
		"localhost:6379":                          {`unknown scheme "localhost"`, "memory, lru, dict"},
		"ftp://x":                                 {`unknown scheme "ftp"`},
		"memory://?size=0":                        {"parameter size: 0 is out of range [1, 2147483647]"},
		"memory://?size=abc":                      {`parameter size: "abc" is not a whole number`},
		"memory://?sise=10":                       {"unknown parameter sise for memory://", "(it takes: size)"},
		"memory://?size=1&size=2":                 {"parameter size given 2 times"},
		"memory://host":                           {`memory:// takes no host, got "host"`},
		"memory:///path":                          {`memory:// takes no path, got "/path"`},
		"dict://?x=1&a=2":                         {"unknown parameter a, x for dict://", "(it takes: none)"},
		"dummy://u:" + secret + "@":               {"dummy:// takes no user or password", `"dummy://xxxxx@"`},
		"redis://u:" + secret + "@h:abc/0":        {"malformed redis URL", "host 1 of 1: the port is not a number from 1 to 65535"},
		"redis://u:" + secret + "@h:0":            {"host 1 of 1: the port is not a number"},
		"redis://u:" + secret + "@h/x":            {`path "/x" is not a database number`},
		"redis://u:" + secret + "@h?pool_size=-1": {"parameter pool_size: -1 is out of range [1,"},
		"redis://u:" + secret + "@h?dial_timeout=fast": {`parameter dial_timeout: "fast" is not a duration`},
		"redis://u:" + secret + "@h?read_timeout=-1s":  {"parameter read_timeout: negative duration -1s"},
		"redis://u:" + secret + "@h?bogus=1":           {"unknown parameter bogus for redis://", `"redis://xxxxx@h?bogus=1"`},
		"redis://u:" + secret + "@h?protocol=4":        {"parameter protocol: 4 is out of range [2, 3]"},
		"redis://u:" + secret + "%zz@h":                {"bad percent-encoding in the user name or password"},
		"redis://u:" + secret + "@h#frag":              {"unexpected fragment"},
		"redis://h1,h2":                                {"redis:// takes one host, got 2"},
		"redis://h?skip_verify=true":                   {"unknown parameter skip_verify for redis://"},
		"rediss://h?skip_verify=maybe":                 {`parameter skip_verify: "maybe" is not true or false`},
		"redis+unix://h/sock":                          {"redis+unix:// takes no host"},
		"redis+unix://":                                {"redis+unix:// needs a socket path"},
		"redis+unix:///s?db=x":                         {`parameter db: "x" is not a whole number`},
		"redis+cluster://":                             {"redis+cluster:// needs at least one host"},
		"redis+cluster://h:7000/1":                     {"redis+cluster:// takes no path"},
		"redis+cluster://h:7000?db=1":                  {"unknown parameter db for redis+cluster://"},
		"redis+cluster://h:7000,,h:7001":               {"host 2 of 3: empty"},
		"redis+cluster://h?max_redirects=x":            {`parameter max_redirects: "x" is not a whole number`},
		"redis://h?max_redirects=1":                    {"unknown parameter max_redirects for redis://"},
		"redis://h?dial_timeout=0":                     {"parameter dial_timeout: a timeout must be more than 0"},
		"redis://h?dial_attempts=0":                    {"parameter dial_attempts: 0 is out of range [1, 100]"},
		"redis://h?max_retries=101":                    {"parameter max_retries: 101 is out of range [-1, 100]"},
		"redis+sentinel://s:26379":                     {"needs the master name"},
		"redis+sentinel://s:26379/a/b":                 {"needs the master name as the only path segment"},
		"redis+sentinel://u:" + secret + "@s/m?bogus=1&sentinel_password=" + secret + "2": {"unknown parameter bogus", "sentinel_password=xxxxx"},
		"redis+sentinel://u:" + secret + "@s/m?sentinel_password=" + secret + "&bogus=1":  {"unknown parameter 1 whose name is not shown (it follows a credential parameter", "sentinel_password=xxxxx&xxxxx"},
		"redis+sentinel://s/m?sentinel_password=" + secret + "&db=x":                      {"parameter db: its value (not shown: it follows a credential parameter"},
		"redis+sentinel://s/m?sentinel_password=" + secret + "&db=-1":                     {"parameter db: its value (not shown"},
		"redis+sentinel://s/m?sentinel_password=" + secret + "&dial_timeout=-1s":          {"parameter dial_timeout: negative duration its value (not shown"},
		"memcache://":                            {"memcache:// needs at least one host"},
		"memcache://u:" + secret + "@127.0.0.1":  {"memcache:// takes no user or password"},
		"memcache://127.0.0.1?timeout=-1s":       {"parameter timeout: negative duration"},
		"memcache://127.0.0.1:99999":             {"malformed memcache URL", "host 1 of 1: the port is not a number from 1 to 65535"},
		"memcache://127.0.0.1?timeout=0":         {"parameter timeout: a timeout must be more than 0"},
		"memcache://127.0.0.1/x":                 {`memcache:// takes no path, got "/x"`},
		"memcache://127.0.0.1?db=1":              {"unknown parameter db for memcache://", "(it takes: timeout, max_idle_conns)"},
		"disk://":                                {"disk:// needs a directory path"},
		"disk:///tmp/a@b":                        {"malformed disk URL", "an '@' follows the host part"},
		"memory://?" + secret + "@?size=1":       {"malformed memory URL", "an '@' follows the host part"},
		"disk://host/path":                       {`disk:// takes no host, got "host"`},
		"disk://" + dir + "?size=1XB":            {`parameter size: size "1XB" has an unknown unit`},
		"disk://" + dir + "?size=99999999999GiB": {`size "99999999999GiB" is too large`},
		"disk://" + dir + "?size=-1":             {`size "-1" does not start with a whole number`},
		"disk://" + dir + "?lock_timeout=x":      {`parameter lock_timeout: "x" is not a duration`},
	} {
		s, err := Open(raw)
		if err == nil {
			if c, ok := s.(backends.Closer); ok {
				_ = c.Close()
			}
			t.Errorf("Open(%q): no error", raw)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "ring: open") {
			t.Errorf("Open(%q) error %q does not start with \"ring: open\"", raw, msg)
		}
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Errorf("Open(%q) error %q does not say %q", raw, msg, w)
			}
		}
		if strings.Contains(msg, secret) {
			t.Errorf("Open(%q) error %q shows the password", raw, msg)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "100": 100, "100B": 100, "1KB": 1000, "1kb": 1000, "2MB": 2e6, "3GB": 3e9, "1TB": 1e12,
		"1KiB": 1024, "1MiB": 1 << 20, "1GiB": 1 << 30, "2TiB": 2 << 40, "1gib": 1 << 30, " 5 MiB ": 5 << 20,
		"8388607TiB": 8388607 << 40,
	} {
		got, err := backends.ParseSize(in)
		if err != nil || got != want {
			t.Errorf("backends.ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "1.5GiB", "1K", "1 XB", "8388608TiB", "99999999999999999999"} {
		if n, err := backends.ParseSize(in); err == nil {
			t.Errorf("backends.ParseSize(%q) = %d, want an error", in, n)
		}
	}
}

func TestRedactedURL(t *testing.T) {
	for raw, want := range map[string]string{
		"redis://u:" + secret + "@h:1/0?db=1": "redis://xxxxx@h:1/0?db=1",
		"redis://:" + secret + "@h":           "redis://xxxxx@h",
		"redis://u:@h":                        "redis://xxxxx@h",
		"redis://" + secret + "@h":            "redis://xxxxx@h",
		"redis+sentinel://s/m?db=1&sentinel_password=" + secret + "&x=1": "redis+sentinel://s/m?db=1&sentinel_password=xxxxx&xxxxx",
		"disk:rel/dir":     "disk:rel/dir",
		"memory://?size=1": "memory://?size=1",
	} {
		u, err := parse(raw)
		if err != nil {
			t.Fatalf("parse %q: %v", raw, err)
		}
		if got := u.Redacted(); got != want {
			t.Errorf("redacted(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestOpenServers opens real servers through URLs, uses them, and closes
// them without leaving goroutines behind.
func TestOpenServers(t *testing.T) {
	redisAddr := servertest.RedisAddr(t)
	cluster := servertest.RedisClusterAddrs(t)
	mc := servertest.MemcacheAddrs(t)
	ignore := goleak.IgnoreCurrent()
	ctx := t.Context()
	for _, raw := range []string{
		"redis://" + redisAddr + "/1",
		"redis+cluster://" + strings.Join(cluster, ","),
		"memcache://" + strings.Join(mc, ","),
		"disk://" + t.TempDir() + "?size=1MiB",
		"memory://?size=10",
	} {
		s, err := Open(raw)
		if err != nil {
			t.Fatal(err)
		}
		k := "ring-test:open:" + time.Now().String()
		var v any = []byte("v")
		if !s.Bytes() {
			v = 42
		}
		if err := s.Set(ctx, k, v, time.Minute); err != nil {
			t.Fatalf("%s: Set: %v", raw, err)
		}
		got, ok, err := s.Get(ctx, k)
		if err != nil || !ok {
			t.Fatalf("%s: Get = %v, %v, %v", raw, got, ok, err)
		}
		if err := s.Delete(ctx, k); err != nil {
			t.Fatalf("%s: Delete: %v", raw, err)
		}
		if c, ok := s.(backends.Closer); ok {
			if err := c.Close(); err != nil {
				t.Fatalf("%s: Close: %v", raw, err)
			}
		}
	}
	goleak.VerifyNone(t, ignore)
}

// TestOpenCacheDefaults: the client settings Open chooses for a cache, and
// their overrides.
func TestOpenCacheDefaults(t *testing.T) {
	o := redisOpts(t, openOK(t, "redis://h"))
	if o.DialTimeout != 500*time.Millisecond || o.ReadTimeout != 500*time.Millisecond || o.WriteTimeout != 500*time.Millisecond ||
		o.PoolTimeout != 500*time.Millisecond || o.MaxRetries != 0 || o.DialerRetries != 1 || o.MaxRetryBackoff != 100*time.Millisecond ||
		!o.ContextTimeoutEnabled {
		t.Errorf("redis:// defaults: dial %v read %v write %v pool %v retries %d dial attempts %d backoff %v ctx %v",
			o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.MaxRetries, o.DialerRetries, o.MaxRetryBackoff, o.ContextTimeoutEnabled)
	}
	o = redisOpts(t, openOK(t, "redis://h?max_retries=0&dial_attempts=3&read_timeout=2s"))
	if o.MaxRetries != 0 || o.DialerRetries != 3 || o.ReadTimeout != 2*time.Second || o.WriteTimeout != 500*time.Millisecond {
		t.Errorf("overrides: retries %d dial attempts %d read %v write %v", o.MaxRetries, o.DialerRetries, o.ReadTimeout, o.WriteTimeout)
	}
	if o = redisOpts(t, openOK(t, "redis://h?max_retries=2")); o.MaxRetries != 2 {
		t.Errorf("max_retries=2: %d", o.MaxRetries)
	}

	co := openOK(t, "redis+cluster://h1:7000").Raw().(*redis.ClusterClient).Options()
	if co.DialTimeout != 500*time.Millisecond || co.ReadTimeout != 500*time.Millisecond || co.PoolTimeout != 500*time.Millisecond ||
		co.MaxRetries != -1 || co.DialerRetries != 1 || co.MaxRedirects != 3 || co.MaxRetryBackoff != 100*time.Millisecond || !co.ContextTimeoutEnabled {
		t.Errorf("redis+cluster:// defaults %+v", co)
	}
	if co = openOK(t, "redis+cluster://h1:7000?max_redirects=0").Raw().(*redis.ClusterClient).Options(); co.MaxRedirects != 0 {
		t.Errorf("max_redirects=0: %d", co.MaxRedirects)
	}

	u, err := parse("redis+sentinel://s1/m")
	if err != nil {
		t.Fatal(err)
	}
	fo, err := u.redisFailoverOptions()
	if err != nil {
		t.Fatal(err)
	}
	if fo.DialTimeout != 500*time.Millisecond || fo.ReadTimeout != 500*time.Millisecond || fo.PoolTimeout != 500*time.Millisecond ||
		fo.MaxRetries != -1 || fo.DialerRetries != 1 || fo.MaxRetryBackoff != 100*time.Millisecond || !fo.ContextTimeoutEnabled {
		t.Errorf("redis+sentinel:// defaults %+v", fo)
	}

	c := backends.Unwrap(openOK(t, "memcache://h:11211")).(*memcachestore.Store).Raw().(*memcache.Client)
	if c.Timeout != 500*time.Millisecond {
		t.Errorf("memcache:// timeout %v", c.Timeout)
	}
}

// TestOpenMemcacheHasSelector: a backend made from a memcache:// URL knows
// its client's selector, so its bulk forms are pipelined.
func TestOpenMemcacheHasSelector(t *testing.T) {
	s, err := Open("memcache://127.0.0.1:1,127.0.0.1:2")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.(backends.Closer).Close() }()
	m, ok := backends.Unwrap(s).(*memcachestore.Store)
	if !ok || !m.CancelsBulk() {
		t.Fatalf("Open(memcache://) = %T (pipelined: %v), want a *memcachestore.Store with its selector", backends.Unwrap(s), ok && m.CancelsBulk())
	}
}
