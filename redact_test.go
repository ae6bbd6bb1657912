package ring_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/storeurl"
	"github.com/ringcache/ring/internal/servertest"
)

// closedPort returns a loopback address where nothing listens: a dial is
// refused at once.
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// redactScheme builds a URL of one scheme from a user info ("" or
// "...@") and a query ("" or "name=value").
type redactScheme struct {
	name  string
	build func(userinfo, query string) string
}

func withQuery(base, query string) string {
	switch {
	case query == "":
		return base
	case strings.Contains(base, "?"):
		return base + "&" + query
	default:
		return base + "?" + query
	}
}

func redactSchemes(addr, dir string) []redactScheme {
	simple := func(scheme, rest string) redactScheme {
		return redactScheme{scheme, func(ui, q string) string { return withQuery(scheme+"://"+ui+rest, q) }}
	}
	return []redactScheme{
		simple("memory", "?size=10"),
		simple("dict", ""),
		simple("dummy", ""),
		simple("redis", addr+"/0"),
		simple("rediss", addr+"/0"),
		simple("redis+unix", "/nonexistent/ring-redact.sock?db=0"),
		simple("redis+cluster", addr),
		simple("redis+sentinel", addr+"/mymaster"),
		simple("memcache", addr),
		simple("disk", dir),
	}
}

// redactPlaces are where a secret goes: the user info or a credential
// parameter. escaped encodes the secret as a URL should; raw inserts it as
// it is, as users do.
var redactPlaces = []func(secret string, escaped bool) (userinfo, query string){
	func(s string, esc bool) (string, string) {
		if esc {
			return url.UserPassword("u", s).String() + "@", ""
		}
		return "u:" + s + "@", ""
	},
	func(s string, esc bool) (string, string) {
		if esc {
			return url.User(s).String() + "@", ""
		}
		return s + "@", ""
	},
	param("password"), param("secret"), param("token"), param("sentinel_password"), param("AUTH_TOKEN"), param("Sentinel_Password"),
}

func param(name string) func(string, bool) (string, string) {
	return func(s string, esc bool) (string, string) {
		if esc {
			s = url.QueryEscape(s)
		}
		return "", name + "=" + s
	}
}

// redactTexts opens raw with storeurl.Open, builds a ring on it and calls
// it when the URL opens, and returns every text a user could see: errors,
// String() of the options, and the events of the hook.
func redactTexts(t testing.TB, raw string) []string {
	t.Helper()
	var texts []string
	s, err := storeurl.Open(raw)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "ring: ") {
			t.Errorf("Open(%q) error %q does not start with \"ring: \"", raw, err)
		}
		return append(texts, err.Error(), backends.RedactURL(raw))
	}
	opt := ring.Storage(s)
	texts = append(texts, backends.RedactURL(raw), opt.String(), ring.Preset(opt, ring.Expire(time.Minute)).String())

	var mu sync.Mutex
	r, err := ring.Func1(func(_ context.Context, n int) (int, error) { return 2 * n, nil },
		opt, ring.KeyPrefix("redact"), ring.Coder("json"),
		ring.OnError(func(e ring.Event) {
			mu.Lock()
			defer mu.Unlock()
			texts = append(texts, e.Error(), fmt.Sprintf("%+v", e))
		}))
	if err != nil {
		texts = append(texts, err.Error())
		return texts
	}
	defer func() {
		if c, ok := r.Cache().Storage().(backends.Closer); ok {
			_ = c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if v, err := r.Call(ctx, 7); err != nil || v != 14 {
		t.Errorf("%s: Call = %d, %v; want 14 (fail-open)", backends.RedactURL(raw), v, err)
	}
	if _, _, err := r.Get(ctx, 7); err != nil {
		texts = append(texts, err.Error())
	}
	mu.Lock()
	defer mu.Unlock()
	return append([]string(nil), texts...)
}

// leaks returns the first text that shows secret in any form: as given,
// quoted by %q, or percent-encoded.
func leaks(secret string, texts []string) (string, bool) {
	quoted := strconv.Quote(secret)
	forms := []string{secret, quoted[1 : len(quoted)-1], url.PathEscape(secret), url.QueryEscape(secret)}
	for _, text := range texts {
		for _, f := range forms {
			if strings.Contains(text, f) {
				return text, true
			}
		}
	}
	return "", false
}

// FuzzOpenRedaction puts secrets into URLs of every scheme, as a password
// of the user info, as the user info alone, and as the value of parameters
// whose names say password, secret or token, raw or percent-encoded, and
// checks that no error, no String() and no hook event shows them. The seed
// corpus runs in every go test; go test -fuzz FuzzOpenRedaction searches
// further.
func FuzzOpenRedaction(f *testing.F) {
	addr := closedPort(f)
	schemes := redactSchemes(addr, f.TempDir())
	secrets := []string{
		"S3cr3tPw", "pa/ssword", "pa?ss=word", "pa#ssword", "p@ss:w0rd", "p%zzword", "%2Fsecret%",
		"пароль-секрет", "a?b=c&token=d", "with space+plus", "#hash/tail?q@x", "50%off:/?#@",
	}
	// vocabulary holds what the messages say whatever the secret is: a
	// secret found in it proves nothing.
	var vocab strings.Builder
	for _, neutral := range []string{"N3utr4lV4lue", "ne/ut?ra#l@va%zzlue"} {
		for _, sc := range schemes {
			for _, place := range redactPlaces {
				for _, esc := range []bool{false, true} {
					ui, q := place(neutral, esc)
					for _, text := range redactTexts(f, sc.build(ui, q)) {
						vocab.WriteString(text)
						vocab.WriteByte('\n')
					}
				}
			}
		}
	}
	vocabulary := vocab.String()
	i := 0
	for s := range schemes {
		for p := range redactPlaces {
			for _, esc := range []bool{false, true} {
				f.Add(uint8(s), uint8(p), esc, secrets[i%len(secrets)])
				i++
			}
		}
	}
	f.Fuzz(func(t *testing.T, s, p uint8, esc bool, secret string) {
		sc := schemes[int(s)%len(schemes)]
		ui, q := redactPlaces[int(p)%len(redactPlaces)](secret, esc)
		raw := sc.build(ui, q)
		rest := strings.Replace(raw, secret, "", 1)
		if len(secret) < 6 || !utf8.ValidString(secret) || strings.Contains(rest, secret) || strings.Contains(vocabulary, secret) {
			t.Skip("the secret is too short, or would be found without a leak")
		}
		if text, bad := leaks(secret, redactTexts(t, raw)); bad {
			t.Errorf("URL %q: %q shows the secret %q", raw, text, secret)
		}
	})
}

// TestRedactionLeakCheck: the check of the fuzz test finds a secret shown
// as given, quoted or percent-encoded, and nothing else.
func TestRedactionLeakCheck(t *testing.T) {
	secret := `pa"ss/w?rd`
	for _, text := range []string{
		"ring: open " + secret,
		fmt.Sprintf("ring: open %q", "redis://u:"+secret+"@h"),
		"Open(redis://u:" + url.PathEscape(secret) + "@h)",
		"redis://h?password=" + url.QueryEscape(secret),
	} {
		if _, bad := leaks(secret, []string{text}); !bad {
			t.Errorf("leaks misses the secret in %q", text)
		}
	}
	if text, bad := leaks(secret, []string{"redis://u:xxxxx@h", `pa"ss`}); bad {
		t.Errorf("leaks reports %q", text)
	}
}

// TestOpenRedactsReproducedLeaks pins the leaks of issue 9, each through
// storeurl.Open, ring.Storage's String and the error of building a ring.
func TestOpenRedactsReproducedLeaks(t *testing.T) {
	addr := closedPort(t)
	for _, c := range []struct {
		url, secret string
		want        []string // in every error, or in String when the URL opens
	}{
		{"redis+sentinel://s1:26379/m?sentinel_password=S3cr3tPw", "S3cr3tPw", []string{"sentinel_password=xxxxx"}},
		{"redis://u:pa/ssword1@" + addr + "/0", "ssword1", []string{"malformed redis URL", "an '@' follows the host part", "%2F"}},
		{"redis://u:pa?ssword2@" + addr + "/0", "ssword2", []string{"malformed redis URL", "an '@' follows the host part"}},
		{"redis://u:pa#ssword3@" + addr + "/0", "ssword3", []string{"malformed redis URL", "an '@' follows the host part"}},
		{"redis://:12/34secret@" + addr, "34secret", []string{"malformed redis URL"}},
		{"redis+sentinel://u:p/w@s1/m@ster", "p/w", []string{"malformed redis+sentinel URL"}},
		{"redis://" + addr + "?bogus=1&password=S3cr3tPw", "S3cr3tPw", []string{"unknown parameter bogus, password for redis://", "password=xxxxx"}},
		{"redis://" + addr + "?password=S3cr3tPw&bogus=1", "S3cr3tPw", []string{"unknown parameter password, 1 whose name is not shown", "password=xxxxx&xxxxx"}},
		{"redis+sentinel://" + addr + "/m?sentinel_password=Sec&ret&db=2x", "ret&db=2x", []string{"unknown parameter 1 whose name is not shown", "sentinel_password=xxxxx&xxxxx&xxxxx"}},
		{"redis://" + addr + "?Auth_Token=S3cr3tPw", "S3cr3tPw", []string{"unknown parameter Auth_Token", "Auth_Token=xxxxx"}},
		{"redis://" + addr + "/0?password=ab%zzSecretQ", "SecretQ", []string{"bad percent-encoding in the query"}},
		{"redis://u:p%zzSecretU@" + addr, "SecretU", []string{"bad percent-encoding in the user name or password"}},
		{"redis://" + addr + "/%zzSecretP", "SecretP", []string{"bad percent-encoding in the path"}},
		{"redis://" + addr + "?password=ab#SecretF", "SecretF", []string{"unexpected fragment"}},
		{"redis://" + addr + "?password=ab;SecretS", "SecretS", []string{"bad query: ';'"}},
		{"redis://u:S3cr3tPw@h:abc/0", "S3cr3tPw", []string{"host 1 of 1: the port is not a number"}},
		{"memcache://h:11211?x%40y=1&token=S3cr3tPw", "S3cr3tPw", []string{"unknown parameter token, 1 whose name is not shown", "x%40y=1&token=xxxxx"}},
		{"redis://S3cr3tPw@" + addr, "S3cr3tPw", []string{"xxxxx@" + addr}},
	} {
		t.Run(c.url, func(t *testing.T) {
			texts := redactTexts(t, c.url)
			if text, bad := leaks(c.secret, texts); bad {
				t.Errorf("%q shows %q", text, c.secret)
			}
			all := strings.Join(texts, "\n")
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("no message says %q:\n%s", w, all)
				}
			}
		})
	}
}

// TestCoderStringShowsNoSecret: a backend URL given to Coder by mistake is
// shown redacted by the option's String and by the build error.
func TestCoderStringShowsNoSecret(t *testing.T) {
	const secret = "S3cr3tPw"
	for _, raw := range []string{"redis://u:" + secret + "@h:6379/0", "json+zstd://?password=" + secret, "json+zstd://?level=%zz" + secret} {
		opt := ring.Coder(raw)
		texts := []string{opt.String()}
		if _, err := ring.Func1(func(_ context.Context, n int) (int, error) { return n, nil }, opt, ring.Dict()); err != nil {
			texts = append(texts, err.Error())
		} else {
			t.Errorf("Coder(%q): no error", raw)
		}
		if text, bad := leaks(secret, texts); bad {
			t.Errorf("Coder(%q): %q shows the secret", raw, text)
		}
	}
	if got := ring.Coder("json+zstd://?level=3").String(); got != `Coder("json+zstd://?level=3")` {
		t.Errorf("String() = %s", got)
	}
}

// TestOpenWrongPasswordEvents: a real Redis refusing the credentials of the
// URL gives events that say so without showing them.
func TestOpenWrongPasswordEvents(t *testing.T) {
	addr := servertest.RedisAddr(t)
	const secret = "Wr0ngS3cretPw"
	for i, raw := range []string{
		"redis://nosuchuser:" + secret + "@" + addr + "/0",
		// The shared server has no password: go-redis ignores the refusal.
		"redis://:" + secret + "@" + addr + "/0",
	} {
		texts := redactTexts(t, raw)
		all := strings.Join(texts, "\n")
		if i == 0 && !strings.Contains(all, "WRONGPASS") {
			t.Errorf("%s: no event says the credentials were refused:\n%s", backends.RedactURL(raw), all)
		}
		if text, bad := leaks(secret, texts); bad {
			t.Errorf("%q shows the password", text)
		}
	}
}
