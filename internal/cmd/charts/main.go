// Command charts draws the SVG charts of docs/benchmarks.md and
// docs/observability.md from the data committed under docs/data: `go test
// -bench` output for the benchmark charts, and the records of the scripted
// runs (the outage run, the dashboard run) for the others. The same data
// always gives the same bytes; TestChartsUpToDate regenerates every chart
// and fails when a committed SVG differs from what its data gives.
//
// scripts/charts.sh runs it (and, with the data step, the runs that
// produce the data):
//
//	go run ./internal/cmd/charts -data docs/data -out docs/img
//	go run ./internal/cmd/charts -check   # exit 1 if a chart is stale
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	data := flag.String("data", "docs/data", "the directory of the data files")
	out := flag.String("out", "docs/img", "the directory the SVG files go to")
	check := flag.Bool("check", false, "write nothing; exit 1 if a chart in -out differs from what its data gives")
	flag.Parse()
	charts, err := generate(*data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "charts:", err)
		os.Exit(1)
	}
	stale := false
	for _, c := range charts {
		path := filepath.Join(*out, c.name)
		if *check {
			have, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(have, c.svg) {
				fmt.Fprintf(os.Stderr, "charts: %s is not what %s gives: run scripts/charts.sh\n", path, c.from)
				stale = true
			}
			continue
		}
		if err := os.WriteFile(path, c.svg, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "charts:", err)
			os.Exit(1)
		}
		fmt.Printf("%s (from %s)\n", path, c.from)
	}
	if stale {
		os.Exit(1)
	}
}

// chart is one generated file.
type chart struct {
	name string // file name under the output directory
	from string // the data file it is drawn from
	svg  []byte
}

// generate draws every chart from the data in dir. A data file that is
// missing is skipped (its chart is not drawn); one that is there but
// wrong is an error naming it.
func generate(dir string) ([]chart, error) {
	var out []chart
	for _, spec := range specs {
		path := filepath.Join(dir, spec.data)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			continue
		}
		svg, err := spec.draw(path)
		if err != nil {
			return nil, err
		}
		out = append(out, chart{name: spec.name, from: path, svg: svg})
	}
	return out, nil
}
