package backends_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ringcache/ring/backends"
)

func TestRedactURL(t *testing.T) {
	for raw, want := range map[string]string{
		"redis://u:S3cr3tPw@h:1/0?db=1":                          "redis://xxxxx@h:1/0?db=1",
		"redis://S3cr3tPw@h":                                     "redis://xxxxx@h",
		"redis://u%3Ax:p%40ss@h":                                 "redis://xxxxx@h",
		"redis+sentinel://s1:26379/m?sentinel_password=S3cr3tPw": "redis+sentinel://s1:26379/m?sentinel_password=xxxxx",
		"redis://h?a=1&PASSWORD=S3cr3tPw&b=2&auth_token=S3cr3tPw&api_key=S3cr3tPw&pwd=S3cr3tPw&client_secret=S3cr3tPw&x_credentials=S3cr3tPw": "redis://h?a=1&PASSWORD=xxxxx&xxxxx&xxxxx&xxxxx&xxxxx&xxxxx&xxxxx",
		"redis://h?pass%77ord=S3cr3tPw":  "redis://h?pass%77ord=xxxxx",
		"redis://h?token":                "redis://h?token",
		"ftp://u:S3cr3tPw@h/x":           "ftp://xxxxx@h/x",
		"disk:rel/dir":                   "disk:rel/dir",
		"memory://?size=1":               "memory://?size=1",
		"memcache://h1:1,[::1]:2":        "memcache://h1:1,[::1]:2",
		"redis://u:pa/S3cr3tPw@h":        "<malformed redis URL: an '@' follows the host part: percent-encode '/', '?', '#' and '@' in a user name or password (%2F, %3F, %23, %40) and '@' in a path or parameter value (%40)>",
		"redis://h?password=S3cr3tPw%zz": "<malformed redis URL: bad percent-encoding in the query (write a literal % as %25)>",
		"redis://h:S3cr3tPw":             "<malformed redis URL: host 1 of 1: the port is not a number from 1 to 65535>",
		"redis://h?password=ab#S3cr3tPw": "<malformed redis URL: unexpected fragment ('#'): write '#' in a password or parameter value as %23>",
		"S3cr3tPw":                       "<malformed URL: URL has no scheme, as in redis:// (want one of memory, lru, dict, dummy, redis, rediss, redis+unix, redis+cluster, rediss+cluster, redis+sentinel, rediss+sentinel, memcache, disk)>",
		"redis://h/0\x00S3cr3tPw":        "<malformed redis URL: it has a control character>",
	} {
		if got := backends.RedactURL(raw); got != want {
			t.Errorf("RedactURL(%q)\n got %s\nwant %s", raw, got, want)
		}
		if strings.Contains(backends.RedactURL(raw), "S3cr3tPw") {
			t.Errorf("RedactURL(%q) shows the secret", raw)
		}
	}
}

func ExampleRedactURL() {
	fmt.Println(backends.RedactURL("redis+sentinel://app:hunter22@s1:26379,s2:26379/mymaster?db=2&sentinel_password=hunter33"))
	fmt.Println(backends.RedactURL("redis://app:pa/ss@cache:6379/0")) // the '/' of the password is not encoded
	// Output:
	// redis+sentinel://xxxxx@s1:26379,s2:26379/mymaster?db=2&sentinel_password=xxxxx
	// <malformed redis URL: an '@' follows the host part: percent-encode '/', '?', '#' and '@' in a user name or password (%2F, %3F, %23, %40) and '@' in a path or parameter value (%40)>
}
