package main

import (
	"math"
	"strconv"
)

// panel is one time-series plot: lines over a time axis in seconds, with
// optional shaded spans (an outage).
type panel struct {
	title      string
	yLabel     string
	log        bool    // logarithmic y axis
	yMax       float64 // linear axis: at least this top (0: from the data)
	series     []tseries
	shade      [][2]float64 // x spans to shade
	shadeLabel string
	noLegend   bool                 // the chart draws one legend for every panel
	note       string               // a line under the plot, right-aligned
	format     func(float64) string // y tick labels
	xMax       float64
	yRange     [2]float64 // when yRange[1] > 0, the y range (for panels that share a scale)
}

type tseries struct {
	name   string
	color  string
	dashed bool
	step   bool // a state: drawn as steps
	xs, ys []float64
}

// draw renders the panel in the box (x, y, w, h): the title above it, the
// legend beside the title, the axes inside.
func (p *panel) draw(s *svg, x, y, w, h float64) {
	s.text(x, y+12, 13, "start", textColor, "600", p.title)
	// The legend on the title's line, right-aligned, or on a line of its
	// own under the title when they do not fit side by side.
	legendW := 0.0
	for _, sr := range p.series {
		legendW += textWidth(sr.name, 11) + 34
	}
	top := y + 24
	ly := y + 12
	if !p.noLegend && textWidth(p.title, 13)+legendW > w {
		ly = y + 28
		top = y + 38
	}
	lx := x + w
	for i := len(p.series) - 1; i >= 0 && !p.noLegend; i-- {
		sr := p.series[i]
		lx -= textWidth(sr.name, 11)
		s.text(lx, ly, 11, "start", textColor, "", sr.name)
		lx -= 22
		extra := ""
		if sr.dashed {
			extra = ` stroke-dasharray="5 3"`
		}
		s.line(lx, ly-4, lx+16, ly-4, sr.color, 2.5, extra)
		lx -= 12
	}
	const left, bottomPad = 58.0, 34.0
	px0, px1 := x+left, x+w-8
	py0, py1 := top, y+h-bottomPad
	format := p.format
	if format == nil {
		format = func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
	}
	// Ranges.
	xMax := p.xMax
	lo, hi := math.Inf(1), 0.0
	for _, sr := range p.series {
		for i, v := range sr.ys {
			if math.IsNaN(v) {
				continue
			}
			xMax = math.Max(xMax, sr.xs[i])
			if v > 0 {
				lo = math.Min(lo, v)
			}
			hi = math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		lo = 1
	}
	if p.yRange[1] > 0 {
		lo, hi = p.yRange[0], p.yRange[1]
	}
	var ypos func(float64) float64
	var yticks []float64
	if p.log {
		a, b := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
		if b <= a {
			b = a + 1
		}
		ypos = func(v float64) float64 {
			v = math.Max(v, math.Pow(10, a))
			return py1 - (math.Log10(v)-a)/(b-a)*(py1-py0)
		}
		for e := a; e <= b && e-a < maxTicks; e++ {
			yticks = append(yticks, math.Pow(10, e))
		}
	} else {
		hi = math.Max(hi, p.yMax)
		if hi <= 0 {
			hi = 1
		}
		step := niceStep(hi, 4)
		top := math.Ceil(hi/step) * step
		ypos = func(v float64) float64 { return py1 - v/top*(py1-py0) }
		for i := 0; i < maxTicks && float64(i)*step <= top+step/2; i++ {
			t := float64(i) * step
			yticks = append(yticks, t)
		}
	}
	xpos := func(v float64) float64 { return px0 + v/xMax*(px1-px0) }
	for _, sp := range p.shade {
		s.rect(xpos(sp[0]), py0, xpos(sp[1])-xpos(sp[0]), py1-py0, "#d55e00", ` fill-opacity="0.12"`)
		if p.shadeLabel != "" {
			s.text((xpos(sp[0])+xpos(sp[1]))/2, py0+12, 10, "middle", "#a04000", "", p.shadeLabel)
		}
	}
	for _, t := range yticks {
		yy := ypos(t)
		s.line(px0, yy, px1, yy, gridColor, 1, "")
		s.text(px0-6, yy+4, 10, "end", subColor, "", format(t))
	}
	xstep := niceStep(xMax, 8)
	for i := 0; i < maxTicks && float64(i)*xstep <= xMax+xstep/100; i++ {
		t := float64(i) * xstep
		s.line(xpos(t), py1, xpos(t), py1+4, axisColor, 1, "")
		s.text(xpos(t), py1+15, 10, "middle", subColor, "", strconv.FormatFloat(t, 'g', 4, 64))
	}
	s.line(px0, py1, px1, py1, axisColor, 1, "")
	s.line(px0, py0, px0, py1, axisColor, 1, "")
	s.text((px0+px1)/2, py1+29, 11, "middle", textColor, "", "time (s)")
	if p.note != "" {
		s.text(px1, py1+29, 10, "end", subColor, "", p.note)
	}
	s.printf(`<text x="%s" y="%s" font-size="11" text-anchor="middle" fill="%s" transform="rotate(-90 %s %s)">%s</text>`+"\n",
		num(x+12), num((py0+py1)/2), textColor, num(x+12), num((py0+py1)/2), esc(p.yLabel))
	for _, sr := range p.series {
		xs := make([]float64, 0, 2*len(sr.xs))
		ys := make([]float64, 0, 2*len(sr.xs))
		for i := range sr.xs {
			yv := math.NaN()
			if !math.IsNaN(sr.ys[i]) {
				yv = ypos(sr.ys[i])
			}
			if sr.step && i > 0 && !math.IsNaN(sr.ys[i-1]) && !math.IsNaN(sr.ys[i]) {
				xs = append(xs, xpos(sr.xs[i]))
				ys = append(ys, ypos(sr.ys[i-1]))
			}
			xs = append(xs, xpos(sr.xs[i]))
			ys = append(ys, yv)
		}
		extra := ""
		if sr.dashed {
			extra = ` stroke-dasharray="5 3"`
		}
		s.polyline(xs, ys, sr.color, 1.8, extra)
	}
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted values.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}
