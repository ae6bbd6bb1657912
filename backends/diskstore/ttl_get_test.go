package diskstore_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/ringcache/ring/backends/diskstore"
)

// TestDiskGetWithTTLExact reads the time left from the record on a clock
// the test moves: exact to the nanosecond, 0 without expiry, a miss (never
// a ttl of 0 or less) from the moment of expiry, kept across a reopen (the
// expiry is in the file), and the value is a copy the caller owns.
func TestDiskGetWithTTLExact(t *testing.T) {
	dir := t.TempDir()
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	d := newDisk(t, dir, diskstore.WithClock(clk.Now))
	ctx := t.Context()
	if err := d.Set(ctx, "k", []byte("v"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := d.Set(ctx, "p", []byte("q"), 0); err != nil {
		t.Fatal(err)
	}
	clk.Add(4 * time.Second)
	v, ttl, found, err := d.GetWithTTL(ctx, "k")
	if err != nil || !found || !bytes.Equal(v.([]byte), []byte("v")) || ttl != 6*time.Second {
		t.Fatalf("GetWithTTL = %q, %v, %v, %v; want v, 6s", v, ttl, found, err)
	}
	v.([]byte)[0] = 'X'
	if again, _, _, _ := d.GetWithTTL(ctx, "k"); string(again.([]byte)) != "v" {
		t.Fatalf("a change to the value read changed the stored one: %q", again)
	}
	_ = d.Close()
	d = newDisk(t, dir, diskstore.WithClock(clk.Now))
	vs, ttls, fs, err := d.GetManyWithTTL(ctx, []string{"k", "p", "x", "k"})
	if err != nil || !fs[0] || !fs[1] || fs[2] || !fs[3] || ttls[0] != 6*time.Second || ttls[1] != 0 || ttls[2] != 0 || vs[2] != nil || ttls[3] != ttls[0] {
		t.Fatalf("GetManyWithTTL after a reopen = %q, %v, %v, %v", vs, ttls, fs, err)
	}
	clk.Add(6*time.Second - time.Nanosecond)
	if _, ttl, found, _ := d.GetWithTTL(ctx, "k"); !found || ttl != time.Nanosecond {
		t.Fatalf("a nanosecond before the expiry: ttl %v, found %v", ttl, found)
	}
	clk.Add(time.Nanosecond)
	if v, ttl, found, err := d.GetWithTTL(ctx, "k"); err != nil || found || ttl != 0 || v != nil {
		t.Fatalf("at the expiry: %v, %v, %v, %v; want a miss", v, ttl, found, err)
	}
	if _, ttls, fs, _ := d.GetManyWithTTL(ctx, []string{"k"}); fs[0] || ttls[0] != 0 {
		t.Fatalf("GetManyWithTTL at the expiry: %v, %v", ttls, fs)
	}
	_ = d.Close()
	if _, _, _, err := d.GetWithTTL(ctx, "p"); err == nil {
		t.Error("GetWithTTL after Close: no error")
	}
}
