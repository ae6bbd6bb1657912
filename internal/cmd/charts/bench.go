package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// benchSet is the parsed output of one or more `go test -bench` runs: every
// sample of every benchmark, by name (the -cpu suffix removed) and unit.
type benchSet struct {
	file    string
	order   []string                        // names in order of first appearance
	samples map[string]map[string][]float64 // name -> unit -> values, one per run
	config  map[string]string               // goos, goarch, pkg, cpu
}

// cpuSuffix is the -GOMAXPROCS suffix `go test` adds to a benchmark name
// when GOMAXPROCS is not 1 (BenchmarkX/sub-2).
var cpuSuffix = regexp.MustCompile(`-[0-9]+$`)

// parseBenchFile reads a file of `go test -bench` output.
func parseBenchFile(path string) (*benchSet, error) { return parseFile(path, parseBench) }

// parseFile opens path and parses it with parse, which names the file in
// its errors.
func parseFile[T any](path string, parse func(file string, r io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	return parse(path, f)
}

// parseBench reads `go test -bench` output: result lines
// ("BenchmarkName-2  1000  12.5 ns/op  16 B/op  1 allocs/op  0.5 x/op"),
// configuration lines ("goos: linux") and anything else (PASS, ok, test
// logs), which it skips. A line that starts like a result (a Benchmark
// name followed by an iteration count) but does not parse is an error
// naming the file and the line.
//
// The -GOMAXPROCS suffix goes: `go test` adds it to every name when
// GOMAXPROCS is not 1, so when every result of the file has one it is cut
// off (BenchmarkX/n-100-2 is X/n-100) and the file must not mix -cpu
// values for one name. When some names have none (a -cpu list with 1, or
// GOMAXPROCS=1), names are kept whole: a final -N may be part of the name.
// (As with benchstat, a GOMAXPROCS=1 file in which every name happens to
// end in -N is misread: run the benchmarks with GOMAXPROCS above 1.)
func parseBench(file string, r io.Reader) (*benchSet, error) {
	s := &benchSet{file: file, samples: map[string]map[string][]float64{}, config: map[string]string{}}
	type result struct {
		name   string
		line   int
		fields []string
	}
	var results []result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if k, v, ok := strings.Cut(text, ": "); ok && !strings.ContainsAny(k, " \t") && k != "" && !strings.HasPrefix(k, "Benchmark") {
			s.config[k] = strings.TrimSpace(v)
			continue
		}
		fields := strings.Fields(text)
		if len(fields) < 2 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			// "BenchmarkX" alone on a line (a benchmark that logged) or
			// "BenchmarkX ... FAIL": not a result.
			continue
		}
		if len(fields)%2 != 0 {
			return nil, fmt.Errorf("%s:%d: a benchmark result wants value-unit pairs after the iteration count, got %q", file, line, text)
		}
		name := strings.TrimPrefix(fields[0], "Benchmark")
		if name == "" {
			return nil, fmt.Errorf("%s:%d: a benchmark result without a name: %q", file, line, text)
		}
		for i := 2; i < len(fields); i += 2 {
			if v, err := strconv.ParseFloat(fields[i], 64); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s:%d: value %q of unit %q is not a number", file, line, fields[i], fields[i+1])
			}
		}
		results = append(results, result{name, line, fields[2:]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", file, line+1, err)
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("%s: no benchmark results", file)
	}
	strip := true
	for _, r := range results {
		if !cpuSuffix.MatchString(r.name) {
			strip = false
			break
		}
	}
	procs := map[string]string{} // stripped name -> its suffix
	for _, r := range results {
		name := r.name
		if strip {
			loc := cpuSuffix.FindStringIndex(name)
			name = r.name[:loc[0]]
			if name == "" {
				return nil, fmt.Errorf("%s:%d: a benchmark result without a name: %q", file, r.line, r.name)
			}
			suffix := r.name[loc[0]:]
			if p, ok := procs[name]; ok && p != suffix {
				return nil, fmt.Errorf("%s:%d: %s measured with several -cpu values (%s and %s): chart one at a time", file, r.line, name, p[1:], suffix[1:])
			}
			procs[name] = suffix
		}
		units := s.samples[name]
		if units == nil {
			units = map[string][]float64{}
			s.samples[name] = units
			s.order = append(s.order, name)
		}
		for i := 0; i < len(r.fields); i += 2 {
			v, _ := strconv.ParseFloat(r.fields[i], 64)
			units[r.fields[i+1]] = append(units[r.fields[i+1]], v)
		}
	}
	return s, nil
}

// median returns the median of the samples of name in unit, and how many
// there were; an error names the file and the missing benchmark or unit.
func (s *benchSet) median(name, unit string) (float64, int, error) {
	units, ok := s.samples[name]
	if !ok {
		return 0, 0, fmt.Errorf("%s: no benchmark %q", s.file, name)
	}
	vs, ok := units[unit]
	if !ok {
		return 0, 0, fmt.Errorf("%s: benchmark %q has no %q", s.file, name, unit)
	}
	return median(vs), len(vs), nil
}

func median(vs []float64) float64 {
	c := slices.Clone(vs)
	slices.Sort(c)
	n := len(c)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return c[n/2]
	}
	return (c[n/2-1] + c[n/2]) / 2
}
