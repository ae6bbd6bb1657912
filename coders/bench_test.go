package coders_test

import (
	"encoding/json"
	"testing"

	"github.com/ringcache/ring/internal/codertest"
)

// BenchmarkStruct measures Encode+Decode of one typical record (ten fields:
// ints, strings, a time.Time, a float, a bool, a []string, a
// map[string]int) per operation, with each coder and each compression layer
// (default level and threshold) over json and msgpack.
//
//	go test -run='^$' -bench=. -benchmem ./coders
func BenchmarkStruct(b *testing.B) {
	v := codertest.MakeRecord(42)
	for _, u := range []string{
		"json", "gob", "msgpack",
		"json+zstd", "json+s2", "json+gzip",
		"msgpack+zstd", "msgpack+s2", "msgpack+gzip",
	} {
		c := mustOpen(b, u)
		enc, err := c.Encode(v)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(u, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				data, err := c.Encode(v)
				if err != nil {
					b.Fatal(err)
				}
				var got codertest.Record
				if err := c.Decode(data, &got); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(enc)), "bytes/value")
		})
	}
}

// payload is a realistic large value: the JSON of 200 records.
func payload(b *testing.B) []byte {
	recs := make([]codertest.Record, 200)
	for i := range recs {
		recs[i] = codertest.MakeRecord(i)
	}
	p, err := json.Marshal(recs)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// payloadLayers are the layers compared on the payload, by URL.
var payloadLayers = []string{
	"bytes",
	"zstd://?level=fastest", "zstd://?level=default", "zstd://?level=better", "zstd://?level=best",
	"s2://?level=default", "s2://?level=better", "s2://?level=best",
	"gzip://?level=1", "gzip://?level=default", "gzip://?level=9",
}

// BenchmarkPayload measures what each compression layer buys on the JSON of
// 200 records (about 50 KB): bytes/value and ratio (original/compressed)
// with encode and decode time. MB/s is of the uncompressed payload.
func BenchmarkPayload(b *testing.B) {
	p := payload(b)
	for _, u := range payloadLayers {
		c := mustOpen(b, u)
		enc, err := c.Encode(p)
		if err != nil {
			b.Fatal(err)
		}
		report := func(b *testing.B) {
			b.ReportMetric(float64(len(enc)), "bytes/value")
			b.ReportMetric(float64(len(p))/float64(len(enc)), "ratio")
		}
		b.Run(u+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				if _, err := c.Encode(p); err != nil {
					b.Fatal(err)
				}
			}
			report(b)
		})
		b.Run(u+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				var got []byte
				if err := c.Decode(enc, &got); err != nil {
					b.Fatal(err)
				}
			}
			report(b)
		})
	}
}
