package pyjson_test

import (
	"testing"

	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/coders/pyjson"
	"github.com/ringcache/ring/internal/codertest"
)

// BenchmarkRoundTrip is encode + decode of the 10-field record the coders
// benchmarks use, with pyjson and with the json coder:
//
//	go test -run '^$' -bench RoundTrip -benchmem ./coders/pyjson
func BenchmarkRoundTrip(b *testing.B) {
	rec := codertest.MakeRecord(1)
	for _, c := range []coders.Coder{pyjson.Coder{}, coders.JSON{}} {
		b.Run(c.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				data, err := c.Encode(rec)
				if err != nil {
					b.Fatal(err)
				}
				var out codertest.Record
				if err := c.Decode(data, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
