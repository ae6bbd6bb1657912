package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// dashData is what the dashboard run (TestChartsDashboard) records: the
// metrics of a ring, aggregated per interval by a recording observer. The
// file is tab-separated text; # starts a comment; "outage <from s> <to s>"
// marks when Redis was frozen; a header line starting with "t" names the
// columns; every other line is one interval, the time at its end first.
// The columns the dashboard reads:
//
//	hit, miss, stale, error     requests by result in the interval
//	load_p50_us, load_p99_us    duration of the loads that ended in it
//	op_p50_us, op_p99_us        duration of the backend operations
//	op_err                      backend operations that failed
//	failopen                    fail-open events
//	breaker_open                1 if the breaker was open at any moment
type dashData struct {
	interval float64
	outage   [][2]float64
	cols     map[string][]float64
	t        []float64
}

var dashColumns = []string{"t", "hit", "miss", "stale", "error", "load_p50_us", "load_p99_us",
	"op_p50_us", "op_p99_us", "op_err", "failopen", "breaker_open"}

func parseDashFile(path string) (*dashData, error) { return parseFile(path, parseDash) }

func parseDash(file string, r io.Reader) (*dashData, error) {
	d := &dashData{cols: map[string][]float64{}}
	var header []string
	sc := bufio.NewScanner(r)
	line := 0
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...))
	}
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Split(text, "\t")
		switch {
		case f[0] == "outage":
			if len(f) != 3 {
				return nil, bad("an outage line has %d tab-separated fields, want 3", len(f))
			}
			a, err1 := strconv.ParseFloat(f[1], 64)
			b, err2 := strconv.ParseFloat(f[2], 64)
			if err1 != nil || err2 != nil || b <= a {
				return nil, bad("outage %q to %q: want two times in seconds, the second later", f[1], f[2])
			}
			d.outage = append(d.outage, [2]float64{a, b})
		case f[0] == "t":
			if header != nil {
				return nil, bad("a second header line")
			}
			header = f
			seen := map[string]bool{}
			for _, c := range f {
				if seen[c] {
					return nil, bad("column %q twice", c)
				}
				seen[c] = true
			}
			for _, c := range dashColumns {
				if !seen[c] {
					return nil, bad("no column %q (want %s)", c, strings.Join(dashColumns, ", "))
				}
			}
		default:
			if header == nil {
				return nil, bad("a row before the header line (t\\t...)")
			}
			if len(f) != len(header) {
				return nil, bad("%d fields, the header has %d", len(f), len(header))
			}
			for i, s := range f {
				v, err := strconv.ParseFloat(s, 64)
				if err != nil || math.IsInf(v, 0) || (math.IsNaN(v) && i == 0) {
					return nil, bad("column %s: %q is not a number", header[i], s)
				}
				d.cols[header[i]] = append(d.cols[header[i]], v)
			}
			t := d.cols["t"]
			if n := len(t); n > 1 && t[n-1] <= t[n-2] {
				return nil, bad("time %v does not follow %v", t[n-1], t[n-2])
			}
			if t[len(t)-1] < 0 || t[len(t)-1] > maxRunSeconds {
				return nil, bad("time %v is outside a run of %d s", t[len(t)-1], maxRunSeconds)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", file, line+1, err)
	}
	d.t = d.cols["t"]
	if len(d.t) < 2 {
		return nil, fmt.Errorf("%s: fewer than two intervals", file)
	}
	d.interval = d.t[1] - d.t[0]
	return d, nil
}

// drawDashboard: six panels in two columns, the outage shaded in each.
func drawDashboard(path string) ([]byte, error) {
	d, err := parseDashFile(path)
	if err != nil {
		return nil, err
	}
	perSec := func(col string) []float64 {
		out := make([]float64, len(d.t))
		for i, v := range d.cols[col] {
			out[i] = v / d.interval
		}
		return out
	}
	ratio := make([]float64, len(d.t))
	for i := range d.t {
		served := d.cols["hit"][i] + d.cols["stale"][i]
		if all := served + d.cols["miss"][i]; all > 0 {
			ratio[i] = 100 * served / all
		} else {
			ratio[i] = math.NaN()
		}
	}
	// Durations of 0 (no load in the interval) are gaps.
	gaps := func(col string) []float64 {
		out := make([]float64, len(d.t))
		for i, v := range d.cols[col] {
			out[i] = v
			if v <= 0 {
				out[i] = math.NaN()
			}
		}
		return out
	}
	usTick := func(us float64) string { return fmtNsTick(us * 1e3) }
	rate := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	ms := fmt.Sprintf("%g ms", d.interval*1000)
	panels := []*panel{
		{title: "Requests/s by result", yLabel: "requests/s", series: []tseries{
			{name: "hit", color: palette[2], xs: d.t, ys: perSec("hit")},
			{name: "miss", color: palette[1], xs: d.t, ys: perSec("miss")},
			{name: "stale", color: palette[4], xs: d.t, ys: perSec("stale")},
			{name: "error", color: palette[5], xs: d.t, ys: perSec("error")},
		}, format: rate},
		{title: "Hit ratio", yLabel: "% of lookups", yMax: 100, series: []tseries{
			{name: "(hit+stale)/(hit+stale+miss)", color: palette[0], xs: d.t, ys: ratio},
		}, format: func(v float64) string { return rate(v) + "%" }},
		{title: "Load duration", yLabel: "per " + ms + " (log)", log: true, series: []tseries{
			{name: "p50", color: palette[0], xs: d.t, ys: gaps("load_p50_us")},
			{name: "p99", color: palette[5], dashed: true, xs: d.t, ys: gaps("load_p99_us")},
		}, format: usTick},
		{title: "Redis operation latency", yLabel: "per " + ms + " (log)", log: true, series: []tseries{
			{name: "p50", color: palette[0], xs: d.t, ys: gaps("op_p50_us")},
			{name: "p99", color: palette[5], dashed: true, xs: d.t, ys: gaps("op_p99_us")},
		}, format: usTick},
		{title: "Fail-open and failed operations", yLabel: "events/s", series: []tseries{
			{name: "fail-open", color: palette[5], xs: d.t, ys: perSec("failopen")},
			{name: "op errors", color: palette[3], dashed: true, xs: d.t, ys: perSec("op_err")},
		}, format: rate},
		{title: "Circuit breaker", yLabel: "open (1) / closed (0)", yMax: 1, series: []tseries{
			{name: "open", color: palette[5], step: true, xs: d.t, ys: d.cols["breaker_open"]},
		}, format: rate},
	}
	s := &svg{}
	title := "Dashboard of a ring on Redis: a scripted run through a recording observer"
	y := s.header(title,
		fmt.Sprintf("Metrics per %s from package observe's events; shaded: Redis frozen (SIGSTOP); a generated picture of a real run", ms),
		"RING_CHARTS_DASHBOARD=docs/data/dashboard.tsv go test -run '^TestChartsDashboard$' .   (chart_dashboard_test.go)")
	const ph, gap = 190.0, 16.0
	pw := (float64(width) - 40 - gap) / 2
	for i, p := range panels {
		p.shade = d.outage
		p.xMax = d.t[len(d.t)-1]
		x := 20 + float64(i%2)*(pw+gap)
		p.draw(s, x, y+float64(i/2)*(ph+12), pw, ph)
	}
	s.height = y + 3*(ph+12) + 4
	return s.doc(title), nil
}
