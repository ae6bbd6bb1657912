package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const root = "../../.."

// realOutput is `go test -bench` output as it comes: configuration lines,
// a test's log line, sub-benchmarks with = and - in their names, -count 3,
// the -2 suffix of GOMAXPROCS=2, custom metrics, a benchmark that logged
// (its name alone on a line), PASS and ok.
const realOutput = `goos: linux
goarch: amd64
pkg: github.com/ringcache/ring
cpu: AMD EPYC 7B13
BenchmarkRedis/ring-getmany-100-2         	   10000	    102345 ns/op	   23000 B/op	     620 allocs/op
BenchmarkRedis/ring-getmany-100-2         	   10000	    100000 ns/op	   23000 B/op	     620 allocs/op
BenchmarkRedis/ring-getmany-100-2         	   10000	    300000 ns/op	   23000 B/op	     620 allocs/op
BenchmarkPeersHit/expiry=1m/ring/seq-2    	16000000	        71.9 ns/op	      16 B/op	       1 allocs/op
    peers_test.go:12: a log line: 3 things
BenchmarkPeersHit/expiry=1m/ring/seq-2    	16000000	        72.1 ns/op	      16 B/op	       1 allocs/op
BenchmarkRedis/interleaved
BenchmarkRedis/interleaved-2              	     100	   4000000 ns/op	         1.20 getmany/raw	        29.2 calls/getorupdatemany
PASS
ok  	github.com/ringcache/ring	12.3s
`

func TestParseBench(t *testing.T) {
	s, err := parseBench("out.txt", strings.NewReader(realOutput))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Redis/ring-getmany-100", "PeersHit/expiry=1m/ring/seq", "Redis/interleaved"}
	if strings.Join(s.order, " ") != strings.Join(want, " ") {
		t.Fatalf("names %q, want %q", s.order, want)
	}
	for _, c := range []struct {
		name, unit string
		want       float64
		runs       int
	}{
		{"Redis/ring-getmany-100", "ns/op", 102345, 3}, // the median, not the mean
		{"Redis/ring-getmany-100", "allocs/op", 620, 3},
		{"PeersHit/expiry=1m/ring/seq", "ns/op", 72, 2}, // even count: the mean of the middle two
		{"Redis/interleaved", "getmany/raw", 1.2, 1},
	} {
		got, n, err := s.median(c.name, c.unit)
		if err != nil || math.Abs(got-c.want) > 1e-9 || n != c.runs {
			t.Errorf("median(%s, %s) = %v, %d, %v; want %v, %d", c.name, c.unit, got, n, err, c.want, c.runs)
		}
	}
	if s.config["cpu"] != "AMD EPYC 7B13" || s.config["pkg"] != "github.com/ringcache/ring" {
		t.Errorf("config %v", s.config)
	}
	if _, _, err := s.median("Redis/raw-mget-100", "ns/op"); err == nil || !strings.Contains(err.Error(), "out.txt") {
		t.Errorf("a missing benchmark: %v, want an error naming the file", err)
	}
	if _, _, err := s.median("Redis/ring-getmany-100", "MB/s"); err == nil {
		t.Error("a missing unit: no error")
	}
}

// TestParseBenchCPUSuffix: the -N suffix is GOMAXPROCS only when every
// name has one; -cpu lists that mix counts for a name are refused.
func TestParseBenchCPUSuffix(t *testing.T) {
	// GOMAXPROCS=1: no suffix is added, so "-100" is part of the name.
	s, err := parseBench("one.txt", strings.NewReader("BenchmarkX/getmany-100 \t 10 \t 5 ns/op\nBenchmarkX/calls \t 10 \t 5 ns/op\n"))
	if err != nil || s.order[0] != "X/getmany-100" {
		t.Fatalf("GOMAXPROCS=1: %q, %v", s.order, err)
	}
	// -cpu 1,4: X and X-4 are two results, neither cut.
	s, err = parseBench("mixed.txt", strings.NewReader("BenchmarkX \t 10 \t 5 ns/op\nBenchmarkX-4 \t 10 \t 3 ns/op\n"))
	if err != nil || strings.Join(s.order, " ") != "X X-4" {
		t.Fatalf("-cpu 1,4: %q, %v", s.order, err)
	}
	// -cpu 2,4: one name, two GOMAXPROCS.
	_, err = parseBench("cpus.txt", strings.NewReader("BenchmarkX-2 \t 10 \t 5 ns/op\nBenchmarkX-4 \t 10 \t 3 ns/op\n"))
	if err == nil || !strings.Contains(err.Error(), "cpus.txt:2:") || !strings.Contains(err.Error(), "-cpu") {
		t.Fatalf("-cpu 2,4: %v, want an error naming cpus.txt:2", err)
	}
}

func TestParseBenchBadInput(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"value", "goos: linux\nBenchmarkX-2 \t 10 \t fast ns/op\n", `bad.txt:2: value "fast" of unit "ns/op" is not a number`},
		{"pairs", "BenchmarkX-2 \t 10 \t 5 ns/op \t 16\n", "bad.txt:1: a benchmark result wants value-unit pairs"},
		{"empty name", "BenchmarkX-2 \t 10 \t 5 ns/op\nBenchmark-2 \t 10 \t 5 ns/op\n", "bad.txt:2: a benchmark result without a name"},
		{"nothing", "PASS\nok \t pkg \t 0.1s\n", "bad.txt: no benchmark results"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseBench("bad.txt", strings.NewReader(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestParseOutageBadInput(t *testing.T) {
	head := "# a comment\nrun\tg\tguarded\n"
	for _, c := range []struct{ name, in, want string }{
		{"record", head + "calls\tg\t1\t2\thit\n", `o.tsv:3: unknown record "calls"`},
		{"fields", head + "call\tg\t1\t2\n", "o.tsv:3: a call record has 4 tab-separated fields, want 5"},
		{"number", head + "outage\tg\t1\tsoon\n", `o.tsv:3: "soon" is not a number`},
		{"order", head + "outage\tg\t2\t1\n", "o.tsv:3: outage ends"},
		{"run", "call\tx\t1\t2\thit\n", `o.tsv:1: run "x" not declared`},
		{"twice", head + "run\tg\tagain\n", `o.tsv:3: run "g" twice`},
		{"outcome", head + "call\tg\t1\t2\tok\n", `o.tsv:3: call outcome "ok"`},
		{"negative", head + "call\tg\t1\t-2\thit\n", "o.tsv:3: negative"},
		{"no outage", head + "call\tg\t1\t2\thit\n", `o.tsv: run "g" wants calls and an outage record`},
		{"empty", "# nothing\n", "o.tsv: no runs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseOutage("o.tsv", strings.NewReader(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestOutageBuckets(t *testing.T) {
	d, err := parseOutage("o.tsv", strings.NewReader("run\tg\tt\noutage\tg\t0.1\t0.2\n"+
		"call\tg\t0.01\t1\thit\ncall\tg\t0.02\t3\thit\ncall\tg\t0.03\t2\tfn\ncall\tg\t0.25\t50\terr\n"))
	if err != nil {
		t.Fatal(err)
	}
	xs, p50, p99 := d.runs[0].buckets(0.1)
	if len(xs) != 3 || p50[0] != 2 || p99[0] != 3 || !math.IsNaN(p50[1]) || p50[2] != 50 {
		t.Fatalf("buckets %v %v %v", xs, p50, p99)
	}
	if o := d.runs[0].outcomes; o["hit"] != 2 || o["fn"] != 1 || o["err"] != 1 {
		t.Fatalf("outcomes %v", o)
	}
}

// wellFormed parses an SVG with encoding/xml and checks its root.
func wellFormed(t *testing.T, name string, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	first := true
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", name, err)
		}
		if se, ok := tok.(xml.StartElement); ok && first {
			first = false
			if se.Name.Local != "svg" || se.Name.Space != "http://www.w3.org/2000/svg" {
				t.Fatalf("%s: root element %v, want svg in the SVG namespace", name, se.Name)
			}
			for _, a := range se.Attr {
				if a.Name.Local == "width" && a.Value != "720" {
					t.Errorf("%s: width %s, want 720", name, a.Value)
				}
			}
		}
	}
	if first {
		t.Fatalf("%s: no element", name)
	}
	if bytes.Contains(b, []byte("NaN")) || bytes.Contains(b, []byte("Inf")) {
		t.Errorf("%s: a NaN or Inf in the drawing", name)
	}
}

// TestChartsUpToDate regenerates every chart from the data committed
// under docs/data and fails if a committed SVG differs, if a chart's SVG
// is missing, or if docs/img holds an SVG that no data draws: the pictures
// never drift from the data. Run scripts/charts.sh to redraw them.
func TestChartsUpToDate(t *testing.T) {
	charts, err := generate(filepath.Join(root, "docs", "data"))
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) < len(specs) {
		t.Errorf("%d charts drawn, want %d: a data file is missing from docs/data", len(charts), len(specs))
	}
	drawn := map[string]bool{}
	for _, c := range charts {
		drawn[c.name] = true
		wellFormed(t, c.name, c.svg)
		have, err := os.ReadFile(filepath.Join(root, "docs", "img", c.name))
		if err != nil {
			t.Errorf("%s: %v (run scripts/charts.sh)", c.name, err)
			continue
		}
		if !bytes.Equal(have, c.svg) {
			t.Errorf("docs/img/%s is not what %s gives: run scripts/charts.sh", c.name, c.from)
		}
	}
	committed, _ := filepath.Glob(filepath.Join(root, "docs", "img", "*.svg"))
	for _, f := range committed {
		if !drawn[filepath.Base(f)] {
			t.Errorf("%s is drawn from no data in docs/data", f)
		}
	}
}

// TestChartsDeterministic: the same data gives the same bytes, twice.
func TestChartsDeterministic(t *testing.T) {
	a, err := generate(filepath.Join(root, "docs", "data"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := generate(filepath.Join(root, "docs", "data"))
	for i := range a {
		if !bytes.Equal(a[i].svg, b[i].svg) {
			t.Errorf("%s differs between two runs", a[i].name)
		}
	}
}

// TestChartsBadData: a data file that is there but wrong fails the
// generator with its name.
func TestChartsBadData(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "peers-hit.txt"), []byte("BenchmarkPeersHit/expiry=none/ring/seq-2 \t 10 \t x ns/op\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := generate(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "peers-hit.txt")+":1:") {
		t.Fatalf("error %v, want one naming peers-hit.txt:1", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "peers-hit.txt"), []byte("BenchmarkOther-2 \t 10 \t 5 ns/op\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := generate(dir); err == nil || !strings.Contains(err.Error(), "no PeersHit") {
		t.Fatalf("error %v, want one saying there is no PeersHit result", err)
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct {
		ns        float64
		val, tick string
	}{
		{0, "0.00 ns", "0"}, {54.4, "54.4 ns", "54.4 ns"}, {1000, "1.00 µs", "1 µs"},
		{28800, "28.8 µs", "28.8 µs"}, {3.78e6, "3.78 ms", "3.78 ms"}, {1e10, "10.0 s", "10 s"},
	} {
		if got := fmtNs(c.ns); got != c.val {
			t.Errorf("fmtNs(%v) = %q, want %q", c.ns, got, c.val)
		}
		if got := fmtNsTick(c.ns); got != c.tick {
			t.Errorf("fmtNsTick(%v) = %q, want %q", c.ns, got, c.tick)
		}
	}
	if esc(`<a & "b">`) != "&lt;a &amp; &quot;b&quot;&gt;" {
		t.Error(esc(`<a & "b">`))
	}
}

const dashHeader = "t\thit\tmiss\tstale\terror\tload_p50_us\tload_p99_us\top_p50_us\top_p99_us\top_err\tfailopen\tbreaker_open\n"

func TestParseDashBadInput(t *testing.T) {
	row := "0.25\t10\t2\t0\t0\t2000\t3000\t300\t900\t0\t0\t0\n"
	for _, c := range []struct{ name, in, want string }{
		{"row first", row, "d.tsv:1: a row before the header line"},
		{"column", "t\thit\n", `d.tsv:1: no column "miss"`},
		{"twice", "t\tt\n", `d.tsv:1: column "t" twice`},
		{"fields", dashHeader + "0.25\t1\n", "d.tsv:2: 2 fields, the header has 12"},
		{"number", dashHeader + strings.Replace(row, "10", "ten", 1), `d.tsv:2: column hit: "ten" is not a number`},
		{"time", dashHeader + row + row, "d.tsv:3: time 0.25 does not follow 0.25"},
		{"outage", "outage\t2\t1\n", "d.tsv:1: outage"},
		{"short", dashHeader + row, "d.tsv: fewer than two intervals"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseDash("d.tsv", strings.NewReader(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestDashboardDraws draws a dashboard from a small record (extra columns
// are allowed, intervals without loads are gaps) and checks the SVG.
func TestDashboardDraws(t *testing.T) {
	in := "# a run\noutage\t0.5\t1\n" + strings.TrimSuffix(dashHeader, "\n") + "\tcoalesced\n" +
		"0.25\t10\t5\t0\t0\t2000\t3000\t300\t900\t0\t0\t0\t1\n" +
		"0.50\t12\t3\t0\t0\t0\t0\t300\t900\t0\t0\t0\t0\n" +
		"0.75\t0\t0\t0\t15\t2000\t2500\t100000\t100000\t5\t15\t1\t0\n" +
		"1.00\t0\t0\t0\t0\t2000\t2100\t0\t0\t0\t0\t1\t0\n" +
		"1.25\t14\t1\t0\t0\t2000\t2100\t300\t800\t0\t0\t0\t0\n"
	path := filepath.Join(t.TempDir(), "dashboard.tsv")
	if err := os.WriteFile(path, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	svg, err := drawDashboard(path)
	if err != nil {
		t.Fatal(err)
	}
	wellFormed(t, "dashboard.svg", svg)
	for _, want := range []string{"Requests/s by result", "Hit ratio", "Load duration", "Circuit breaker"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("no %q in the dashboard", want)
		}
	}
}

// FuzzParse: the parsers never panic, and what they accept draws a
// well-formed chart or fails with an error.
func FuzzParse(f *testing.F) {
	f.Add(realOutput)
	f.Add("BenchmarkX-2 \t 1 \t 1 ns/op\n")
	f.Add("run\tg\tt\noutage\tg\t0.1\t0.2\ncall\tg\t0.01\t1\thit\n")
	f.Add(dashHeader + "0.25\t10\t2\t0\t0\t2000\t3000\t300\t900\t0\t0\t0\n0.5\t10\t2\t0\t0\t2000\t3000\t300\t900\t0\t0\t0\n")
	f.Fuzz(func(t *testing.T, in string) {
		if s, err := parseBench("f.txt", strings.NewReader(in)); err == nil && len(s.order) == 0 {
			t.Fatal("no error and no benchmark")
		}
		if d, err := parseOutage("f.tsv", strings.NewReader(in)); err == nil {
			wellFormed(t, "outage", outageChart(d, nil))
		}
		if _, err := parseDash("f.tsv", strings.NewReader(in)); err != nil && !strings.HasPrefix(err.Error(), "f.tsv") {
			t.Fatalf("error %v does not name the file", err)
		}
	})
}
