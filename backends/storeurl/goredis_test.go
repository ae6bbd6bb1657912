package storeurl

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring/backends"
)

// TestOpenGoRedisParams: the parameters Open takes from go-redis's parsers
// reach the client's options with go-redis's meanings, and replace ring's
// default where it has one.
func TestOpenGoRedisParams(t *testing.T) {
	o := redisOpts(t, openOK(t, "redis://h?min_retry_backoff=5ms&max_retry_backoff=2s&conn_max_idle_time=1m"+
		"&conn_max_lifetime=1h&max_active_conns=7&pool_fifo=TRUE"))
	if o.MinRetryBackoff != 5*time.Millisecond || o.MaxRetryBackoff != 2*time.Second || o.ConnMaxIdleTime != time.Minute ||
		o.ConnMaxLifetime != time.Hour || o.MaxActiveConns != 7 || !o.PoolFIFO {
		t.Errorf("redis:// go-redis parameters: min backoff %v max backoff %v idle %v lifetime %v active %d fifo %v",
			o.MinRetryBackoff, o.MaxRetryBackoff, o.ConnMaxIdleTime, o.ConnMaxLifetime, o.MaxActiveConns, o.PoolFIFO)
	}
	// 0 means no wait and no limit (go-redis: -1 after its parser, 0 once
	// the client is made), not go-redis's default (1 s, 30 min).
	o = redisOpts(t, openOK(t, "redis://h?max_retry_backoff=0s&min_retry_backoff=0&conn_max_idle_time=0s&pool_fifo=false"))
	if o.MaxRetryBackoff != 0 || o.MinRetryBackoff != 0 || o.ConnMaxIdleTime != -1 || o.PoolFIFO {
		t.Errorf("redis:// zeros: max backoff %v min backoff %v idle %v fifo %v", o.MaxRetryBackoff, o.MinRetryBackoff, o.ConnMaxIdleTime, o.PoolFIFO)
	}

	co := openOK(t, "redis+cluster://h1:7000,h2?read_only=1&route_randomly=true&route_by_latency=f&dial_attempts=4&max_retries=0"+
		"&max_retry_backoff=1s&max_active_conns=3&protocol=2&client_name=c%26d%3De%20f").Raw().(*redis.ClusterClient).Options()
	if !co.ReadOnly || !co.RouteRandomly || co.RouteByLatency || co.DialerRetries != 4 || co.MaxRetries != -1 ||
		co.MaxRetryBackoff != time.Second || co.MaxActiveConns != 3 || co.Protocol != 2 || co.ClientName != "c&d=e f" ||
		strings.Join(co.Addrs, ",") != "h1:7000,h2:6379" {
		t.Errorf("redis+cluster:// options %+v", co)
	}

	u, err := parse("rediss+sentinel://u:" + secret + "@[::1],s2:26380/m%26x%3Fy?dial_attempts=3&max_retries=2&pool_fifo=1" +
		"&max_active_conns=9&conn_max_lifetime=2m&skip_verify=true&sentinel_username=su")
	if err != nil {
		t.Fatal(err)
	}
	fo, err := u.redisFailoverOptions()
	if err != nil {
		t.Fatal(err)
	}
	if fo.DialerRetries != 3 || fo.MaxRetries != 2 || !fo.PoolFIFO || fo.MaxActiveConns != 9 || fo.ConnMaxLifetime != 2*time.Minute ||
		strings.Join(fo.SentinelAddrs, ",") != "[::1]:26379,s2:26380" || fo.MasterName != "m&x?y" ||
		fo.Username != "u" || fo.Password != secret || fo.SentinelUsername != "su" || fo.SentinelPassword != "" ||
		fo.TLSConfig == nil || !fo.TLSConfig.InsecureSkipVerify || fo.MaxRetryBackoff != DefaultOpenMaxRetryBackoff {
		t.Errorf("rediss+sentinel:// options %+v", fo)
	}
}

// TestOpenTLSServerName: the TLS config of every rediss scheme leaves
// ServerName empty, so that each node is checked against its own name
// (go-redis's parsers would pin the first host's name), and takes
// skip_verify, which ParseClusterURL does not know.
func TestOpenTLSServerName(t *testing.T) {
	for _, raw := range []string{"rediss://h1?skip_verify=true", "rediss+cluster://h1,h2?skip_verify=true", "rediss+sentinel://h1,h2/m?skip_verify=true"} {
		s := openOK(t, raw)
		switch c := s.Raw().(type) {
		case *redis.Client:
			o := c.Options()
			if o.TLSConfig == nil || o.TLSConfig.ServerName != "" || !o.TLSConfig.InsecureSkipVerify {
				t.Errorf("%s: TLS config %+v", raw, o.TLSConfig)
			}
		case *redis.ClusterClient:
			o := c.Options()
			if o.TLSConfig == nil || o.TLSConfig.ServerName != "" || !o.TLSConfig.InsecureSkipVerify {
				t.Errorf("%s: TLS config %+v", raw, o.TLSConfig)
			}
		default:
			t.Errorf("%s: Raw() is a %T", raw, c)
		}
	}
	u, err := parse("rediss+sentinel://h1,h2/m")
	if err != nil {
		t.Fatal(err)
	}
	fo, err := u.redisFailoverOptions()
	if err != nil || fo.TLSConfig == nil || fo.TLSConfig.ServerName != "" || fo.TLSConfig.InsecureSkipVerify {
		t.Errorf("rediss+sentinel:// TLS config %+v, %v", fo.TLSConfig, err)
	}
}

// TestOpenRedisUnixPaths: a socket path reaches go-redis as it was
// written, decoded, even relative, which a unix:// URL cannot hold.
func TestOpenRedisUnixPaths(t *testing.T) {
	for raw, want := range map[string]string{
		"redis+unix:///run/a%20b%3F.sock?db=1": "/run/a b?.sock",
		"redis+unix:rel/redis.sock":            "rel/redis.sock",
		"redis+unix:/abs.sock":                 "/abs.sock",
	} {
		o := redisOpts(t, openOK(t, raw))
		if o.Network != "unix" || o.Addr != want {
			t.Errorf("Open(%q): network %q addr %q, want unix %q", raw, o.Network, o.Addr, want)
		}
	}
}

// TestOpenGoRedisParamsRefused: parameters of go-redis's parsers that
// Open does not take are unknown parameters, and none makes a constructor
// panic (route_by_latency and route_randomly do in NewFailoverClient).
func TestOpenGoRedisParamsRefused(t *testing.T) {
	for _, raw := range []string{
		"redis+sentinel://s/m?route_randomly=true",
		"redis+sentinel://s/m?route_by_latency=true",
		"redis+sentinel://s/m?replica_only=true",
		"redis+sentinel://s/m?master_name=other",
		"redis+sentinel://s/m?context_timeout_enabled=false",
		"redis+sentinel://s/m?dialer_retries=5",
		"redis+sentinel://s/m?addr=s2:26379",
		"redis+cluster://h?addr=h2:7000",
		"redis+cluster://h?dialer_retries=5",
		"redis+cluster://h?failing_timeout_seconds=1",
		"redis://h?route_randomly=true",
		"redis://h?read_only=true",
		"redis://h?idle_timeout=1s",
		"redis://h?pipeline_pool_size=-1",
		"redis://h?max_concurrent_dials=2",
		"redis://h?network=tcp",
		"redis://h?unstable_resp3=true",
	} {
		name, _, _ := strings.Cut(raw[strings.IndexByte(raw, '?')+1:], "=")
		s, err := Open(raw)
		if err == nil {
			_ = s.(backends.Closer).Close()
			t.Errorf("Open(%q): no error", raw)
			continue
		}
		if !strings.Contains(err.Error(), "unknown parameter "+name+" for ") {
			t.Errorf("Open(%q): %v, want an unknown parameter %s", raw, err, name)
		}
	}
}

// TestOpenGoRedisParamsChecked: ring checks the values of go-redis's
// parameters too, where go-redis would take a plain number as seconds
// (9223372037 overflows to -2562047h), a negative duration for none, a
// count that makes NewClient panic; a boolean is a word ParseBool takes.
func TestOpenGoRedisParamsChecked(t *testing.T) {
	for raw, want := range map[string]string{
		"redis://h?max_active_conns=-1":                "parameter max_active_conns: -1 is out of range [0, 2147483647]",
		"redis://h?max_active_conns=2147483648":        "parameter max_active_conns: 2147483648 is out of range",
		"redis+cluster://h?pool_size=2147483648":       "parameter pool_size: 2147483648 is out of range",
		"redis://h?min_retry_backoff=9223372037":       `parameter min_retry_backoff: "9223372037" is not a duration`,
		"redis://h?conn_max_lifetime=-1s":              "parameter conn_max_lifetime: negative duration -1s",
		"redis://h?max_retry_backoff=":                 `parameter max_retry_backoff: "" is not a duration`,
		"redis://h?pool_fifo=maybe":                    `parameter pool_fifo: "maybe" is not true or false`,
		"redis+cluster://h?read_only=2":                `parameter read_only: "2" is not true or false`,
		"redis+cluster://h?route_randomly=":            `parameter route_randomly: "" is not true or false`,
		"redis+cluster://h?conn_max_idle_time=5":       `parameter conn_max_idle_time: "5" is not a duration`,
		"redis+cluster://h?max_retries=-2":             "parameter max_retries: -2 is out of range [-1, 100]",
		"redis+sentinel://s/m?max_active_conns=x":      `parameter max_active_conns: "x" is not a whole number`,
		"redis+sentinel://s/m?db=-1":                   "parameter db: -1 is out of range [0, 2147483647]",
		"redis+sentinel://s/m?pool_fifo=1&pool_fifo=0": "parameter pool_fifo given 2 times",
		// go-redis takes the last of two values, and a negative database.
		"redis://h/-1": `path "/-1" is not a database number`,
		// A value after a credential parameter may be a piece of it.
		"redis+sentinel://s/m?sentinel_password=" + secret + "&min_retry_backoff=" + secret: "parameter min_retry_backoff: its value (not shown",
		"redis+sentinel://s/m?sentinel_password=" + secret + "&pool_fifo=" + secret:         "parameter pool_fifo: its value (not shown",
	} {
		_, err := Open(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v, want an error saying %q", raw, err, want)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("Open(%q): %v shows the password", raw, err)
		}
	}
}

// TestGoRedisSeesNoCredential: the query Open hands to go-redis's parsers
// holds no credential and no user name, wherever the ring URL put one, so
// that no message of go-redis can quote it. (The URLs Open builds for them
// have no user info: Open sets the credentials on the options.)
func TestGoRedisSeesNoCredential(t *testing.T) {
	const user = "us3rname"
	for _, raw := range []string{
		"redis://" + user + ":" + secret + "@h:1/2?client_name=c",
		"rediss://" + user + ":" + secret + "@h?skip_verify=1",
		"redis+unix://" + user + ":" + secret + "@/run/r.sock",
		"redis+cluster://" + user + ":" + secret + "@h1,h2?dial_attempts=2",
		"redis+sentinel://" + user + ":" + secret + "@s1,s2/m?sentinel_username=" + user + "&sentinel_password=" + secret + "&db=1",
		"rediss+sentinel://s1/m?sentinel_password=" + secret + "&pool_size=2&client_name=c",
	} {
		u, err := parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		p, err := u.redisQuery()
		if err != nil {
			t.Fatal(err)
		}
		var seen string
		g := &url.URL{Scheme: "redis", Host: "h"}
		if _, err := goRedis(func(s string) (*redis.FailoverOptions, error) { seen = s; return redis.ParseFailoverURL(s) },
			"ParseFailoverURL", g, p, map[string]string{"dial_attempts": "dialer_retries"}, nil); err != nil {
			t.Errorf("%s: %v", raw, err)
		}
		if seen == "" || strings.Contains(seen, secret) || strings.Contains(seen, user) || strings.Contains(seen, "sentinel_") || strings.Contains(seen, "skip_verify") {
			t.Errorf("%s: go-redis's parser is given %q", raw, seen)
		}
	}
}

// TestGoRedisErrors: an error of go-redis's parser is wrapped, and not
// shown when it may quote a parameter written after a credential
// parameter. Open checks every value first, so only a URL Open would not
// make reaches these errors; they are the last line.
func TestGoRedisErrors(t *testing.T) {
	query := func(raw string) *params {
		t.Helper()
		u, err := parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		p, err := u.redisQuery()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	g := func() *url.URL { return &url.URL{Scheme: "redis", Host: "s:26379"} }
	// A value go-redis refuses, with no parameter after the credential
	// parameter: its message is wrapped.
	p := query("redis+sentinel://u:" + secret + "@s/m?pool_size=2&sentinel_password=" + secret)
	p.q["min_retry_backoff"] = []string{"fast"}
	_, err := goRedis(redis.ParseFailoverURL, "ParseFailoverURL", g(), p, nil, nil)
	if err == nil || !strings.Contains(err.Error(), `go-redis's ParseFailoverURL refused the URL made of this one: redis: invalid min_retry_backoff duration`) ||
		errors.Unwrap(err) == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("error %v (wrapping %v)", err, errors.Unwrap(err))
	}
	// A parameter written after the credential parameter goes to go-redis:
	// its message, which may quote it, is not shown.
	p = query("redis+sentinel://u:" + secret + "@s/m?sentinel_password=" + secret + "&client_name=c")
	p.q["max_retry_backoff"] = []string{secret}
	p.hidden["max_retry_backoff"] = true
	_, err = goRedis(redis.ParseFailoverURL, "ParseFailoverURL", g(), p, nil, nil)
	if err == nil || strings.Contains(err.Error(), secret) || errors.Unwrap(err) != nil || !strings.Contains(err.Error(), "the message is not shown") {
		t.Errorf("error %v (wrapping %v)", err, errors.Unwrap(err))
	}
	if _, perr := redis.ParseFailoverURL("redis://s?max_retry_backoff=" + secret); perr == nil || !strings.Contains(perr.Error(), secret) {
		t.Fatalf("go-redis no longer quotes the value (%v): the test above proves nothing", perr)
	}
	p = query("redis+cluster://h?pool_size=2")
	// An addr go-redis refuses, and a URL url.Parse refuses: wrapped.
	_, err = goRedis(redis.ParseClusterURL, "ParseClusterURL", &url.URL{Scheme: "redis", Host: "h"}, p, nil, url.Values{"addr": {"nohost"}})
	if err == nil || !strings.Contains(err.Error(), "unable to parse addr param: nohost") {
		t.Errorf("addr: %v", err)
	}
	_, err = goRedis(redis.ParseURL, "ParseURL", &url.URL{Scheme: "redis", Host: "h:port"}, p, nil, nil)
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Errorf("url.Parse's error is not wrapped: %v", err)
	}
}

// TestOpenHostileRedisURLs puts a password in every place of a Redis URL
// that a message of ring or of go-redis might echo: the user info, a
// credential parameter, the value of every parameter written after it (a
// piece of the credential cut at an unencoded '&'), a value go-redis would
// refuse next to a password in the user info, and the port. No error
// shows it, in any form.
func TestOpenHostileRedisURLs(t *testing.T) {
	const pw = "Hunter2Secret"
	forms := []string{pw, url.PathEscape(pw + "/"), url.QueryEscape(pw + "&")}
	// Closed ports: a client that dials at once (min_idle_conns) is
	// refused, without a name to resolve.
	base := map[string]string{
		"redis": "127.0.0.1:1/0", "rediss": "127.0.0.1:1/0", "redis+unix": "/nonexistent/r.sock", "redis+cluster": "127.0.0.1:1,127.0.0.2:1",
		"rediss+cluster": "127.0.0.1:1", "redis+sentinel": "127.0.0.1:1,127.0.0.2:1/m", "rediss+sentinel": "127.0.0.1:1/m",
	}
	var urls []string
	for scheme, rest := range base {
		cred := "password"
		if strings.HasSuffix(scheme, "sentinel") {
			cred = "sentinel_password"
		}
		for _, rp := range redisParams {
			for _, piece := range []string{pw, "-1" + pw, "1" + pw + "s"} {
				urls = append(urls,
					scheme+"://u:"+pw+"@"+rest+"?"+cred+"="+pw+"&"+rp.name+"="+piece,
					scheme+"://u:"+pw+"@"+rest+"?"+cred+"="+pw+"%26"+pw+"&"+rp.name+"="+piece+"&x"+pw+"=1",
				)
			}
			for _, bad := range []string{"maybe", "0", "-1", "", "99999999999", "5", "-1s"} {
				if rp.name == "min_idle_conns" && bad == "5" {
					continue // the client would dial at once, and go-redis log each refusal
				}
				urls = append(urls, scheme+"://"+pw+"@"+rest+"?"+rp.name+"="+bad, scheme+"://u:"+pw+"@"+rest+"?"+rp.name+"="+bad)
			}
		}
		urls = append(urls,
			scheme+"://u:"+pw+"@h:"+pw+"/0",
			scheme+"://u:"+url.PathEscape(pw+"/?#@")+"@"+rest+"?dial_timeout=fast",
		)
	}
	for _, raw := range urls {
		s, err := Open(raw)
		if err == nil {
			_ = s.(backends.Closer).Close()
			continue
		}
		msg := err.Error()
		for _, f := range forms {
			if strings.Contains(msg, f) || strings.Contains(msg, strings.ToLower(pw)) {
				t.Errorf("Open(%q): %q shows the password", raw, msg)
			}
		}
		if !strings.HasPrefix(msg, "ring: open") {
			t.Errorf("Open(%q): %q", raw, msg)
		}
	}
	if len(urls) < 1000 {
		t.Fatalf("only %d URLs", len(urls))
	}
}
