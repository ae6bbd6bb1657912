package backends_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ringcache/ring/backends"
)

// An entry's age comes from the time it has left: no envelope around the
// value. The clock is moved by hand here so that the output is exact.
func ExampleGetWithTTL() {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	s := backends.NewDict(backends.WithClock(func() time.Time { return now }))
	ctx := context.Background()

	const expire = time.Minute
	_ = s.Set(ctx, "report", "v1", expire)
	_ = s.Set(ctx, "config", "v2", 0)
	now = now.Add(45 * time.Second)

	v, ttl, found, _ := backends.GetWithTTL(ctx, s, "report")
	fmt.Println(v, found, "left:", ttl, "age:", expire-ttl)
	_, ttl, _, _ = backends.GetWithTTL(ctx, s, "config")
	fmt.Println("config left:", ttl, "(0: no expiry)")
	_, ttl, found, _ = backends.GetWithTTL(ctx, s, "absent")
	fmt.Println("absent:", found, ttl)

	// A store that cannot say reports TTLUnknown for its hits.
	_, ttls, _, _ := backends.GetManyWithTTL(ctx, noTTL{s}, []string{"report", "absent"})
	fmt.Println(ttls[0] == backends.TTLUnknown, ttls[1])
	// Output:
	// v1 true left: 15s age: 45s
	// config left: 0s (0: no expiry)
	// absent: false 0s
	// true 0s
}

// noTTL is a store with only the required methods.
type noTTL struct{ d *backends.Dict }

func (n noTTL) Name() string { return "plain" }
func (n noTTL) Bytes() bool  { return false }
func (n noTTL) Raw() any     { return nil }
func (n noTTL) Get(ctx context.Context, k string) (any, bool, error) {
	return n.d.Get(ctx, k)
}
func (n noTTL) Set(ctx context.Context, k string, v any, ttl time.Duration) error {
	return n.d.Set(ctx, k, v, ttl)
}
func (n noTTL) Delete(ctx context.Context, k string) error { return n.d.Delete(ctx, k) }
