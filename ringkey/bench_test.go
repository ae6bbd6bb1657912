package ringkey_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/ringcache/ring/ringkey"
)

func benchTyped[T any](b *testing.B, v T) {
	f, err := ringkey.Typed[T]()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 0, 256)
		for pb.Next() {
			buf, _ = f(buf[:0], v)
		}
	})
}

func BenchmarkTypedString(b *testing.B)    { benchTyped(b, "https://example.com/a?b=c") }
func BenchmarkTypedInt(b *testing.B)       { benchTyped(b, 1234567) }
func BenchmarkTypedFloat64(b *testing.B)   { benchTyped(b, 3.14159) }
func BenchmarkTypedTime(b *testing.B)      { benchTyped(b, time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)) }
func BenchmarkTypedRingKeyer(b *testing.B) { benchTyped(b, &staticKey{}) }
func BenchmarkTypedAnyString(b *testing.B) { benchTyped(b, any("s")) }

// BenchmarkReflectStructHash measures the fallback for a struct without
// RingKey or String: reflection plus hashstructure.
func BenchmarkReflectStructHash(b *testing.B) {
	benchTyped(b, Query{Table: "users", Limit: 10, Tags: []string{"a", "b"}})
}

// BenchmarkReflectStructStringer measures the fallback for a struct with String.
func BenchmarkReflectStructStringer(b *testing.B) { benchTyped(b, Point{1, 2}) }

// BenchmarkEncoderOfString measures the reflect path of a string for comparison.
func BenchmarkEncoderOfString(b *testing.B) {
	enc, err := ringkey.EncoderOf(reflect.TypeFor[string]())
	if err != nil {
		b.Fatal(err)
	}
	v := reflect.ValueOf("https://example.com/a?b=c")
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf, _ = enc(buf[:0], v)
	}
}

// BenchmarkSliceOfStrings measures a composite through the reflect path.
func BenchmarkSliceOfStrings(b *testing.B) { benchTyped(b, []string{"a", "b:c", "d"}) }
