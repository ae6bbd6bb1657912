package main

import (
	"math"
)

// hbarChart is a horizontal bar chart: groups of rows, each row one bar per
// series, the value written at the end of each bar. Values are in
// nanoseconds unless format says otherwise.
type hbarChart struct {
	title  string
	sub    []string // lines under the title: what, units, the command
	series []string // legend; one bar per series in each row
	// legend, when set, replaces the series' legend (rows coloured by kind)
	legend       []string
	legendColors []string
	groups       []barGroup
	log          bool                 // logarithmic axis (for values that span decades)
	axis         string               // the axis label, with its unit
	format       func(float64) string // values (default fmtNs)
	tick         func(float64) string // axis ticks (default fmtNsTick)
}

type barGroup struct {
	title string
	rows  []barRow
}

type barRow struct {
	label  string
	values []float64 // one per series; NaN leaves no bar
	strong bool      // the label in bold (ring's own rows)
	color  string    // with one series: the bar's colour (default: the series')
}

const (
	barH     = 14.0
	barGap   = 3.0
	rowGap   = 9.0
	labelW   = 230.0
	valueW   = 70.0
	groupPad = 26.0
)

func (c *hbarChart) render() []byte {
	s := &svg{}
	format := c.format
	if format == nil {
		format = fmtNs
	}
	tick := c.tick
	if tick == nil {
		tick = fmtNsTick
	}
	y := s.header(c.title, c.sub...)
	switch {
	case len(c.legend) > 0:
		y += 6
		s.legend(20, y, c.legend, c.legendColors, nil)
		y += 14
	case len(c.series) > 1:
		y += 6
		s.legend(20, y, c.series, palette[:len(c.series)], nil)
		y += 14
	}
	x0, x1 := 20+labelW, float64(width)-valueW
	// The axis range.
	lo, hi := math.Inf(1), 0.0
	for _, g := range c.groups {
		for _, r := range g.rows {
			for _, v := range r.values {
				if math.IsNaN(v) || (c.log && v <= 0) {
					continue
				}
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	var pos func(float64) float64
	var ticks []float64
	if math.IsInf(lo, 1) { // no value to draw
		lo, hi = 1, 1
	}
	if c.log {
		a, b := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
		if b == a {
			b++
		}
		floor := math.Pow(10, a)
		pos = func(v float64) float64 { return x0 + (math.Log10(math.Max(v, floor))-a)/(b-a)*(x1-x0) }
		for e := a; e <= b && e-a < maxTicks; e++ {
			ticks = append(ticks, math.Pow(10, e))
		}
	} else {
		step := niceStep(hi, 5)
		top := math.Ceil(hi/step) * step
		pos = func(v float64) float64 { return x0 + v/top*(x1-x0) }
		for i := 0; i < maxTicks && float64(i)*step <= top+step/2; i++ {
			t := float64(i) * step
			ticks = append(ticks, t)
		}
	}
	// The plot's height, for the grid lines.
	top := y + 8
	h := 0.0
	for _, g := range c.groups {
		h += groupPad
		for _, r := range g.rows {
			h += float64(len(r.values))*(barH+barGap) - barGap + rowGap
		}
	}
	bottom := top + h
	for _, t := range ticks {
		x := pos(t)
		s.line(x, top, x, bottom, gridColor, 1, "")
		s.text(x, bottom+16, 11, "middle", subColor, "", tick(t))
	}
	s.line(x0, top, x0, bottom, axisColor, 1, "")
	s.text((x0+x1)/2, bottom+34, 12, "middle", textColor, "", c.axis)
	y = top
	for _, g := range c.groups {
		y += groupPad
		s.text(20, y-8, 13, "start", textColor, "600", g.title)
		s.line(20, y-4, x1, y-4, gridColor, 1, "")
		for _, r := range g.rows {
			rh := float64(len(r.values))*(barH+barGap) - barGap
			weight := ""
			if r.strong {
				weight = "600"
			}
			s.text(20+labelW-8, y+rh/2+4, 12, "end", textColor, weight, r.label)
			for i, v := range r.values {
				by := y + float64(i)*(barH+barGap)
				if math.IsNaN(v) {
					continue
				}
				w := pos(v) - x0
				if w < 1 {
					w = 1
				}
				fill := palette[i%len(palette)]
				if r.color != "" {
					fill = r.color
				}
				s.rect(x0, by, w, barH, fill, ` rx="2"`)
				s.text(x0+w+5, by+barH-3, 11, "start", textColor, "", format(v))
			}
			y += rh + rowGap
		}
	}
	s.height = bottom + 50
	return s.doc(c.title)
}
