// Package storageurl splits a storage URL by hand, so that a password never
// reaches a parser that might quote it in an error, and redacts it for
// messages. backends.RedactURL and backends/storeurl.Open share it.
package storageurl

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Redacted is what URL.Redacted writes in place of a credential.
const Redacted = "xxxxx"

// URL is a backend URL split by hand, so that the password never
// reaches a parser that might quote it in an error.
type URL struct {
	Scheme       string
	HasAuthority bool
	HasUser      bool
	User         string
	Password     string
	Hosts        []string // host[:port] items of the authority, syntax checked
	RawPath      string   // the path (or opaque part) as given
	Path         string   // rawPath decoded
	RawQuery     string
	Query        url.Values
	// afterSecret holds the names of the parameters written after the
	// first credential parameter (SecretParam): any of them may be a piece
	// of its value that held an unescaped '&', so errors quote neither
	// their names nor their values, and redacted hides them.
	AfterSecret map[string]bool
}

// Schemes lists the schemes Open knows, for error messages.
var Schemes = []string{
	"memory", "lru", "dict", "dummy",
	"redis", "rediss", "redis+unix", "redis+cluster", "rediss+cluster", "redis+sentinel", "rediss+sentinel",
	"memcache", "disk",
}

// SyntaxError is a URL that cannot be split safely. Its message says
// which part is wrong and never quotes the URL: a password with a '/', '?',
// '#' or '%' that was not percent-encoded ends up in any part.
type SyntaxError struct {
	Scheme string // "" when the URL has no valid scheme
	What   string
}

// Error says which part of the URL is wrong, without quoting it.
func (e *SyntaxError) Error() string {
	if e.Scheme == "" {
		return "ring: open: " + e.What
	}
	return fmt.Sprintf("ring: open: malformed %s URL (not shown, it may hold a password): %s", e.Scheme, e.What)
}

// SplitScheme returns the lower-cased scheme of raw and the rest after its
// ':'. A scheme is a letter followed by letters, digits, '+', '-' or '.'.
func SplitScheme(raw string) (scheme, rest string, err error) {
	i := strings.IndexByte(raw, ':')
	ok := i > 0
	for j := 0; ok && j < i; j++ {
		c := raw[j]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || j > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')
	}
	if !ok {
		return "", "", &SyntaxError{What: fmt.Sprintf("URL has no scheme, as in redis:// (want one of %s)", strings.Join(Schemes, ", "))}
	}
	return strings.ToLower(raw[:i]), raw[i+1:], nil
}

// Parse splits raw without checking that Open knows its scheme.
func Parse(raw string) (*URL, error) {
	scheme, rest, err := SplitScheme(raw)
	if err != nil {
		return nil, err
	}
	u := &URL{Scheme: scheme}
	bad := func(format string, args ...any) error {
		return &SyntaxError{Scheme: scheme, What: fmt.Sprintf(format, args...)}
	}
	if strings.ContainsFunc(rest, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, bad("it has a control character")
	}
	if strings.HasPrefix(rest, "//") {
		u.HasAuthority = true
		rest = rest[2:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		authority := rest[:end]
		rest = rest[end:]
		if strings.Contains(rest, "@") {
			// The user info may hold a '/', '?' or '#' that ended the
			// authority early (even at once: "memory://?pw@"): where it
			// ends cannot be told.
			return nil, bad("an '@' follows the host part: percent-encode '/', '?', '#' and '@' in a user name or password " +
				"(%%2F, %%3F, %%23, %%40) and '@' in a path or parameter value (%%40)")
		}
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			u.HasUser = true
			userinfo := authority[:at]
			authority = authority[at+1:]
			name, pass, _ := strings.Cut(userinfo, ":")
			var err1, err2 error
			u.User, err1 = url.PathUnescape(name)
			u.Password, err2 = url.PathUnescape(pass)
			if err1 != nil || err2 != nil {
				return nil, bad("bad percent-encoding in the user name or password (write a literal %% as %%25)")
			}
		}
		if authority != "" {
			u.Hosts = strings.Split(authority, ",")
			for i, h := range u.Hosts {
				if problem := HostSyntax(h); problem != "" {
					return nil, bad("host %d of %d: %s", i+1, len(u.Hosts), problem)
				}
			}
		}
	}
	if strings.Contains(rest, "#") {
		return nil, bad("unexpected fragment ('#'): write '#' in a password or parameter value as %%23")
	}
	u.RawPath, u.RawQuery, _ = strings.Cut(rest, "?")
	if u.Path, err = url.PathUnescape(u.RawPath); err != nil {
		return nil, bad("bad percent-encoding in the path (write a literal %% as %%25)")
	}
	if u.Query, err = url.ParseQuery(u.RawQuery); err != nil {
		if strings.Contains(u.RawQuery, ";") {
			return nil, bad("bad query: ';' separates nothing (separate parameters with '&'; write ';' in a value as %%3B)")
		}
		return nil, bad("bad percent-encoding in the query (write a literal %% as %%25)")
	}
	seen := false
	for _, pair := range strings.Split(u.RawQuery, "&") {
		rawName, _, _ := strings.Cut(pair, "=")
		name, _ := url.QueryUnescape(rawName) // ParseQuery took it
		if seen {
			if u.AfterSecret == nil {
				u.AfterSecret = map[string]bool{}
			}
			u.AfterSecret[name] = true
		}
		seen = seen || SecretParam(name)
	}
	return u, nil
}

// HostSyntax returns what is wrong with one host[:port] item of an
// authority, without quoting it, or "" when nothing is.
func HostSyntax(item string) string {
	if item == "" {
		return "empty (two commas, or a comma at an end)"
	}
	var host, port string
	if strings.HasPrefix(item, "[") {
		end := strings.IndexByte(item, ']')
		if end < 0 {
			return "an IPv6 address without its closing ']'"
		}
		host, port = item[1:end], item[end+1:]
		if port != "" && port[0] != ':' {
			return "unexpected characters after an IPv6 address"
		}
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return "a bad IPv6 address in brackets"
		}
	} else {
		host = item
		if i := strings.LastIndexByte(item, ':'); i >= 0 {
			host, port = item[:i], item[i:]
		}
		if strings.Contains(host, ":") {
			return "several ':' (write an IPv6 address in brackets, as in [::1]:6379)"
		}
		if host == "" {
			return "no host name before the port"
		}
		if strings.ContainsFunc(host, func(r rune) bool {
			return r < 0x80 && !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '.' || r == '_')
		}) {
			return "a character that no host name has"
		}
	}
	if port != "" {
		digits := port[1:]
		n, err := strconv.Atoi(digits)
		if err != nil || len(digits) > 5 || strings.Trim(digits, "0123456789") != "" || n < 1 || n > 65535 {
			return "the port is not a number from 1 to 65535"
		}
	}
	return ""
}

// SecretParam reports whether a query parameter's name says that its value
// is a credential.
func SecretParam(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"pass", "pwd", "secret", "token", "auth", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return strings.HasSuffix(n, "key")
}

// redacted returns the URL as given, with its credentials replaced by
// "xxxxx" (see RedactURL).
func (u *URL) Redacted() string {
	var b strings.Builder
	b.WriteString(u.Scheme)
	b.WriteByte(':')
	if u.HasAuthority {
		b.WriteString("//")
		if u.HasUser {
			// The whole user info: what precedes a ':' may be a piece
			// of a password too ("redis://pa:ss@h" meant as a password).
			b.WriteString(Redacted)
			b.WriteByte('@')
		}
		b.WriteString(strings.Join(u.Hosts, ","))
	}
	b.WriteString(u.RawPath)
	if u.RawQuery != "" || len(u.Query) > 0 {
		b.WriteByte('?')
		afterSecret := false
		for i, pair := range strings.Split(u.RawQuery, "&") {
			if i > 0 {
				b.WriteByte('&')
			}
			if afterSecret {
				// May be a piece of the credential's value that held an
				// unescaped '&'.
				b.WriteString(Redacted)
				continue
			}
			rawName, _, hasValue := strings.Cut(pair, "=")
			name, err := url.QueryUnescape(rawName)
			if err == nil && !SecretParam(name) {
				b.WriteString(pair)
				continue
			}
			afterSecret = true
			b.WriteString(rawName)
			if hasValue {
				b.WriteByte('=')
				b.WriteString(Redacted)
			}
		}
	}
	return b.String()
}

// PlainName reports whether a parameter name may be quoted in an error:
// only letters, digits, '_', '.' and '-'. Anything else may be a piece of a
// value that held an unescaped '&'.
func PlainName(name string) bool {
	return name != "" && len(name) <= 64 && !strings.ContainsFunc(name, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '.' || r == '-')
	})
}
