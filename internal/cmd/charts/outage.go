package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// outageData is what the outage run (TestChartsOutage, see
// scripts/charts.sh) records: for each run, its title, the span the server
// was frozen, and every call's start and latency. The file is tab-separated
// text, one record a line, # starts a comment:
//
//	run	<id>	<title>
//	outage	<id>	<from s>	<to s>
//	call	<id>	<start s>	<latency µs>	hit|fn|err
//
// A call's outcome is hit (the value came from Redis), fn (the function
// ran: a miss, or fail-open) or err (Call returned an error).
// maxRunSeconds bounds the length of a recorded run (its buckets are held
// in memory).
const maxRunSeconds = 3600

type outageData struct {
	runs []*outageRun
}

type outageRun struct {
	id, title string
	from, to  float64
	starts    []float64 // s since the run began
	lat       []float64 // µs
	outcomes  map[string]int
}

func parseOutageFile(path string) (*outageData, error) { return parseFile(path, parseOutage) }

func parseOutage(file string, r io.Reader) (*outageData, error) {
	d := &outageData{}
	byID := map[string]*outageRun{}
	sc := bufio.NewScanner(r)
	line := 0
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...))
	}
	floats := func(fs []string) ([]float64, error) {
		out := make([]float64, len(fs))
		for i, f := range fs {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, bad("%q is not a number", f)
			}
			out[i] = v
		}
		return out, nil
	}
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Split(text, "\t")
		want := map[string]int{"run": 3, "outage": 4, "call": 5}[f[0]]
		if want == 0 {
			return nil, bad("unknown record %q (want run, outage or call)", f[0])
		}
		if len(f) != want {
			return nil, bad("a %s record has %d tab-separated fields, want %d", f[0], len(f), want)
		}
		if f[0] == "run" {
			if byID[f[1]] != nil {
				return nil, bad("run %q twice", f[1])
			}
			run := &outageRun{id: f[1], title: f[2], from: math.NaN(), outcomes: map[string]int{}}
			byID[f[1]] = run
			d.runs = append(d.runs, run)
			continue
		}
		run := byID[f[1]]
		if run == nil {
			return nil, bad("run %q not declared by a run record before", f[1])
		}
		switch f[0] {
		case "outage":
			v, err := floats(f[2:4])
			if err != nil {
				return nil, err
			}
			if v[1] <= v[0] {
				return nil, bad("outage ends (%v) before it starts (%v)", v[1], v[0])
			}
			run.from, run.to = v[0], v[1]
		case "call":
			v, err := floats(f[2:4])
			if err != nil {
				return nil, err
			}
			if v[0] < 0 || v[1] < 0 {
				return nil, bad("negative start or latency")
			}
			if v[0] > maxRunSeconds {
				return nil, bad("a call starts %v s into the run: more than a run of %d s", v[0], maxRunSeconds)
			}
			switch f[4] {
			case "hit", "fn", "err":
				run.outcomes[f[4]]++
			default:
				return nil, bad("call outcome %q, want hit, fn or err", f[4])
			}
			run.starts = append(run.starts, v[0])
			run.lat = append(run.lat, v[1])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", file, line+1, err)
	}
	if len(d.runs) == 0 {
		return nil, fmt.Errorf("%s: no runs", file)
	}
	for _, run := range d.runs {
		if len(run.starts) == 0 || math.IsNaN(run.from) {
			return nil, fmt.Errorf("%s: run %q wants calls and an outage record", file, run.id)
		}
	}
	return d, nil
}

// buckets groups a run's latencies by the 100ms bucket of their start and
// returns, per bucket, its middle (s), its p50 and its p99 (µs).
func (r *outageRun) buckets(width float64) (xs, p50, p99 []float64) {
	end := slices.Max(r.starts)
	n := int(end/width) + 1
	by := make([][]float64, n)
	for i, s := range r.starts {
		b := int(s / width)
		by[b] = append(by[b], r.lat[i])
	}
	for i, b := range by {
		slices.Sort(b)
		xs = append(xs, (float64(i)+0.5)*width)
		p50 = append(p50, percentile(b, 50))
		p99 = append(p99, percentile(b, 99))
	}
	return xs, p50, p99
}

// outageChart draws one panel per run, on the same log scale, the outage
// shaded.
func outageChart(d *outageData, sub []string) []byte {
	s := &svg{}
	title := "Call latency while Redis is frozen (SIGSTOP)"
	y := s.header(title, sub...)
	y += 6
	s.legend(20, y, []string{"p50 of the calls started in each 100 ms", "p99"}, []string{palette[0], palette[5]}, map[string]bool{"p99": true})
	y += 12
	const ph = 230.0
	// One y range for every panel: the same scale makes them comparable.
	lo, hi := math.Inf(1), 0.0
	xMax := 0.0
	var panels []*panel
	for _, run := range d.runs {
		xs, p50, p99 := run.buckets(0.1)
		for i := range xs {
			if !math.IsNaN(p50[i]) {
				lo, hi = math.Min(lo, p50[i]), math.Max(hi, p99[i])
			}
		}
		xMax = math.Max(xMax, xs[len(xs)-1]+0.05)
		panels = append(panels, &panel{
			title:  run.title,
			yLabel: "latency per call (log)",
			log:    true,
			series: []tseries{
				{name: "p50", color: palette[0], xs: xs, ys: p50},
				{name: "p99", color: palette[5], dashed: true, xs: xs, ys: p99},
			},
			shade:      [][2]float64{{run.from, run.to}},
			shadeLabel: "Redis frozen",
			format:     func(us float64) string { return fmtNsTick(us * 1e3) },
			noLegend:   true,
			note: fmt.Sprintf("%d calls: %d hits, %d ran the function, %d errors",
				len(run.starts), run.outcomes["hit"], run.outcomes["fn"], run.outcomes["err"]),
		})
	}
	for _, p := range panels {
		p.xMax = xMax
		p.yRange = [2]float64{lo, hi}
		p.draw(s, 20, y, width-40, ph)
		y += ph + 14
	}
	s.height = y + 6
	return s.doc(title)
}
