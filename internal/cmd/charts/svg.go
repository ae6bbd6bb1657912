package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The look shared by every chart: a white card (readable on a dark page
// too), a system sans-serif font, and a palette that stays apart for the
// common forms of colour blindness (Okabe-Ito).
const (
	width     = 720
	fontStack = "-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
	textColor = "#222222"
	subColor  = "#555555"
	gridColor = "#e3e3e3"
	axisColor = "#888888"
)

var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}

// svg builds one SVG document; every number it writes goes through num, so
// the same input always gives the same bytes.
type svg struct {
	b      strings.Builder
	height float64
}

func num(f float64) string {
	if math.Abs(f-math.Round(f)) < 0.005 {
		return strconv.FormatFloat(math.Round(f), 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

// esc escapes text for an XML element or attribute, and replaces what XML
// cannot hold (control characters, invalid UTF-8) with U+FFFD.
func esc(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF):
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return escaper.Replace(s)
}

func (s *svg) printf(format string, args ...any) { fmt.Fprintf(&s.b, format, args...) }

// text writes a text element; anchor is start, middle or end.
func (s *svg) text(x, y float64, size float64, anchor, color, weight, t string) {
	extra := ""
	if weight != "" {
		extra = ` font-weight="` + weight + `"`
	}
	s.printf(`<text x="%s" y="%s" font-size="%s" text-anchor="%s" fill="%s"%s>%s</text>`+"\n",
		num(x), num(y), num(size), anchor, color, extra, esc(t))
}

func (s *svg) rect(x, y, w, h float64, fill, extra string) {
	s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"%s/>`+"\n", num(x), num(y), num(w), num(h), fill, extra)
}

func (s *svg) line(x1, y1, x2, y2 float64, stroke string, w float64, extra string) {
	s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"%s/>`+"\n",
		num(x1), num(y1), num(x2), num(y2), stroke, num(w), extra)
}

// polyline draws the points; NaN values break the line.
func (s *svg) polyline(xs, ys []float64, stroke string, w float64, extra string) {
	var pts []string
	flush := func() {
		if len(pts) > 1 {
			s.printf(`<polyline points="%s" fill="none" stroke="%s" stroke-width="%s" stroke-linejoin="round"%s/>`+"\n",
				strings.Join(pts, " "), stroke, num(w), extra)
		} else if len(pts) == 1 {
			x, y, _ := strings.Cut(pts[0], ",")
			s.printf(`<circle cx="%s" cy="%s" r="%s" fill="%s"/>`+"\n", x, y, num(w), stroke)
		}
		pts = pts[:0]
	}
	for i := range xs {
		if math.IsNaN(ys[i]) {
			flush()
			continue
		}
		pts = append(pts, num(xs[i])+","+num(ys[i]))
	}
	flush()
}

// doc returns the whole document: the card and its content.
func (s *svg) doc(title string) []byte {
	var out strings.Builder
	fmt.Fprintf(&out, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%s" viewBox="0 0 %d %s" font-family="%s" role="img" aria-label="%s">`+"\n",
		width, num(s.height), width, num(s.height), esc(fontStack), esc(title))
	fmt.Fprintf(&out, "<title>%s</title>\n", esc(title))
	fmt.Fprintf(&out, `<rect x="0" y="0" width="%d" height="%s" fill="#ffffff" stroke="#d0d0d0" rx="6"/>`+"\n", width, num(s.height))
	out.WriteString(s.b.String())
	out.WriteString("</svg>\n")
	return []byte(out.String())
}

// header writes the title and the lines under it and returns the y where
// the content starts.
func (s *svg) header(title string, sub ...string) float64 {
	s.text(20, 30, 17, "start", textColor, "600", title)
	y := 30.0
	for _, l := range sub {
		y += 18
		s.text(20, y, 12, "start", subColor, "", l)
	}
	return y + 14
}

// legend writes swatches and names in a row from x at y; dashed marks the
// names drawn with a dashed line instead of a box.
func (s *svg) legend(x, y float64, names, colors []string, dashed map[string]bool) {
	for i, n := range names {
		if dashed != nil {
			extra := ""
			if dashed[n] {
				extra = ` stroke-dasharray="5 3"`
			}
			s.line(x, y-4, x+18, y-4, colors[i], 2.5, extra)
			x += 24
		} else {
			s.rect(x, y-10, 12, 12, colors[i], ` rx="2"`)
			x += 18
		}
		s.text(x, y, 12, "start", textColor, "", n)
		x += textWidth(n, 12) + 18
	}
}

// textWidth estimates the width of t in a sans-serif font of size px (no
// font metrics at hand: an average glyph is about 0.56 em).
func textWidth(t string, px float64) float64 {
	n := 0
	for range t {
		n++
	}
	return float64(n) * px * 0.56
}

// Units of the values the charts show.

// fmtNs formats a duration given in nanoseconds with 3 significant digits.
func fmtNs(ns float64) string {
	switch {
	case ns >= 1e9:
		return sig3(ns/1e9) + " s"
	case ns >= 1e6:
		return sig3(ns/1e6) + " ms"
	case ns >= 1e3:
		return sig3(ns/1e3) + " µs"
	default:
		return sig3(ns) + " ns"
	}
}

// fmtNsTick formats an axis tick: like fmtNs, without trailing zeros.
func fmtNsTick(ns float64) string {
	if ns == 0 {
		return "0"
	}
	v, unit := ns, "ns"
	switch {
	case ns >= 1e9:
		v, unit = ns/1e9, "s"
	case ns >= 1e6:
		v, unit = ns/1e6, "ms"
	case ns >= 1e3:
		v, unit = ns/1e3, "µs"
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + " " + unit
}

func sig3(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// maxTicks bounds the ticks of an axis, whatever the data.
const maxTicks = 40

// niceStep returns a round step (1, 2 or 5 times a power of ten) that
// splits [0, max] into about n intervals.
func niceStep(max float64, n int) float64 {
	if max <= 0 {
		return 1
	}
	raw := max / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}
