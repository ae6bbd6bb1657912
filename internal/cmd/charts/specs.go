package main

import (
	"fmt"
	"math"
	"strings"
)

// spec ties a chart to its data file.
type spec struct {
	name, data string
	draw       func(path string) ([]byte, error)
}

var specs = []spec{
	{"peers-hit.svg", "peers-hit.txt", drawPeers},
	{"bulk.svg", "bulk.txt", drawBulk},
	{"outage.svg", "outage.tsv", drawOutage},
	{"dashboard.svg", "dashboard.tsv", drawDashboard},
}

// runsNote says how many runs the medians are of.
func runsNote(n int) string {
	if n == 1 {
		return "one run"
	}
	return fmt.Sprintf("median of %d runs", n)
}

// machine describes where a benchmark file was measured, from its header.
func (s *benchSet) machine() string {
	var parts []string
	if c := s.config["cpu"]; c != "" {
		parts = append(parts, c)
	}
	if g := s.config["goos"]; g != "" {
		parts = append(parts, g+"/"+s.config["goarch"])
	}
	return strings.Join(parts, ", ")
}

// drawPeers: the in-process hit of every library of bench/peers_test.go,
// BenchmarkPeersHit/<expiry>/<library>/<seq|parallel>.
func drawPeers(path string) ([]byte, error) {
	s, err := parseBenchFile(path)
	if err != nil {
		return nil, err
	}
	groupTitle := map[string]string{"expiry=none": "No expiry", "expiry=1m": "With a one-minute expiry"}
	var groups []barGroup
	index := map[string]int{}    // group -> index in groups
	rowIndex := map[string]int{} // group/library -> row
	modes := []string{"seq", "parallel"}
	runs := 0
	for _, name := range s.order {
		parts := strings.Split(name, "/")
		if len(parts) != 4 || parts[0] != "PeersHit" {
			continue
		}
		g, lib, mode := parts[1], parts[2], parts[3]
		mi := -1
		for i, m := range modes {
			if m == mode {
				mi = i
			}
		}
		if mi < 0 {
			return nil, fmt.Errorf("%s: benchmark %q: mode %q, want seq or parallel", path, name, mode)
		}
		gi, ok := index[g]
		if !ok {
			t := groupTitle[g]
			if t == "" {
				t = g
			}
			gi = len(groups)
			index[g] = gi
			groups = append(groups, barGroup{title: t})
		}
		ri, ok := rowIndex[g+"/"+lib]
		if !ok {
			ri = len(groups[gi].rows)
			rowIndex[g+"/"+lib] = ri
			groups[gi].rows = append(groups[gi].rows, barRow{label: lib, values: []float64{math.NaN(), math.NaN()}, strong: lib == "ring"})
		}
		v, n, err := s.median(name, "ns/op")
		if err != nil {
			return nil, err
		}
		runs = max(runs, n)
		groups[gi].rows[ri].values[mi] = v
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("%s: no PeersHit/<expiry>/<library>/<seq|parallel> results", path)
	}
	c := &hbarChart{
		title:  "Hit path against peers: lookup(ctx, \"apple\", 42), an in-process hit",
		sub:    []string{"Time per call, " + runsNote(runs) + " (shorter is better); " + s.machine(), "cd bench && go test -run '^$' -bench PeersHit -benchmem -count 6   (bench/peers_test.go)"},
		series: []string{"one goroutine (seq)", "b.RunParallel, 2 cores (parallel)"},
		groups: groups,
		axis:   "time per call",
	}
	return c.render(), nil
}

// drawBulk: 100 keys read one Call at a time against the bulk forms and
// the client's own bulk read, on the LRU, Redis and memcached
// (BenchmarkLRUBulk, BenchmarkRedis, BenchmarkMemcache/servers=all).
func drawBulk(path string) ([]byte, error) {
	s, err := parseBenchFile(path)
	if err != nil {
		return nil, err
	}
	type row struct{ label, bench string }
	backends := []struct {
		title string
		rows  []row
	}{
		{"In-process LRU", []row{
			{"100 sequential Calls", "LRUBulk/ring-100-calls"},
			{"Many().Get(100)", "LRUBulk/ring-getmany-100"},
			{"Many().GetOrUpdate(100)", "LRUBulk/ring-getorupdatemany-100"},
		}},
		{"Redis (loopback)", []row{
			{"100 sequential Calls", "Redis/ring-100-calls"},
			{"Many().Get(100)", "Redis/ring-getmany-100"},
			{"Many().GetOrUpdate(100)", "Redis/ring-getorupdatemany-100"},
			{"go-redis MGET of 100 keys", "Redis/raw-mget-100"},
		}},
		{"memcached, 2 servers (loopback)", []row{
			{"100 sequential Calls", "Memcache/servers=all/ring-100-calls"},
			{"Many().Get(100)", "Memcache/servers=all/ring-getmany-100"},
			{"Many().GetOrUpdate(100)", "Memcache/servers=all/ring-getorupdatemany-100"},
			{"gomemcache GetMulti of 100 keys", "Memcache/servers=all/raw-getmulti-100"},
		}},
	}
	var groups []barGroup
	runs := 0
	for _, be := range backends {
		g := barGroup{title: be.title}
		for _, r := range be.rows {
			if _, ok := s.samples[r.bench]; !ok {
				continue // a backend that was not measured (no server)
			}
			v, n, err := s.median(r.bench, "ns/op")
			if err != nil {
				return nil, err
			}
			runs = max(runs, n)
			kind := 0 // one Call at a time
			switch {
			case strings.HasPrefix(r.label, "Many"):
				kind = 1
			case strings.HasPrefix(r.bench, "Redis/raw") || strings.HasPrefix(r.bench, "Memcache/servers=all/raw"):
				kind = 2
			}
			g.rows = append(g.rows, barRow{label: r.label, values: []float64{v}, strong: kind == 1, color: bulkColors[kind]})
		}
		if len(g.rows) > 0 {
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("%s: none of the LRUBulk, Redis or Memcache/servers=all bulk results", path)
	}
	c := &hbarChart{
		title: "Bulk against sequential: 100 cached keys, all hits",
		sub: []string{"Time to read 100 keys, " + runsNote(runs) + " (shorter is better, log scale); " + s.machine(),
			"scripts/charts.sh data: BenchmarkLRUBulk, BenchmarkRedis, BenchmarkMemcache/servers=all, -count 6 (bench_remote_test.go)"},
		series:       []string{"time for 100 keys"},
		legend:       []string{"ring, one Call per key", "ring's bulk forms", "the client's own bulk read"},
		legendColors: bulkColors,
		groups:       groups,
		log:          true,
		axis:         "time for 100 keys (log scale)",
	}
	return c.render(), nil
}

var bulkColors = []string{palette[1], palette[0], "#999999"}

func drawOutage(path string) ([]byte, error) {
	d, err := parseOutageFile(path)
	if err != nil {
		return nil, err
	}
	return outageChart(d, []string{
		"One Call every 5 ms on cached keys (a private redis-server, go-redis with its defaults); log scale",
		"RING_CHARTS_OUTAGE=docs/data/outage.tsv go test -run '^TestChartsOutage$' .   (chart_outage_test.go)",
	}), nil
}
