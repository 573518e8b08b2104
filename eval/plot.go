package eval

import (
	"fmt"
	"github.com/qfilters/qfilters/internal/canvas"
	"image"
	"image/color"
	"math"
)

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{20, 20, 20, 255}
	grid  = color.RGBA{225, 225, 225, 255}
	// methodColor gives every method one colour in both plots.
	methodColor = map[string]color.RGBA{
		Oracle:    {120, 120, 120, 255},
		QFilters:  {31, 119, 180, 255},
		KNorm:     {214, 39, 40, 255},
		Streaming: {44, 160, 44, 255},
		Random:    {230, 150, 20, 255},
		Full:      {60, 60, 60, 255},
		SnapKV:    {148, 103, 189, 255},

		ExpectedAttention: {23, 190, 207, 255},
	}
)

const (
	plotW, plotH = 460, 300 // one panel's plotting area
	padL, padT   = 60, 40
	padR, padB   = 30, 60
)

// Plot draws up to three panels: the context recall (kvpress's scenario)
// and the per-query attention recall against compression ratio per method,
// and the streaming perplexity of each method (when measured).
func Plot(r *Report, title string) *image.RGBA {
	panels := 1
	if r.Perplexity != nil {
		panels++
	}
	if r.ContextRecall != nil {
		panels++
	}
	pw := padL + plotW + padR
	img := image.NewRGBA(image.Rect(0, 0, panels*pw, padT+plotH+padB+36))
	canvas.Fill(img, img.Rect, white)
	canvas.Text(img, 10, 8, title, black)
	x := padL
	if cr := r.ContextRecall; cr != nil {
		var series []MethodRecall
		for _, name := range cr.Order {
			series = append(series, MethodRecall{Method: name, Mean: cr.Methods[name]})
		}
		recallPanel(img, fmt.Sprintf("context recall, context %d", cr.Context), cr.Ratios, series, image.Pt(x, padT+10))
		x += pw
	}
	recallPanel(img, "per-query attention recall", r.Ratios, r.Recall, image.Pt(x, padT+10))
	x += pw
	if r.Perplexity != nil {
		pplPanel(img, r.Perplexity, image.Pt(x, padT+10))
	}
	return img
}

// recallPanel: x = ratios on a log axis (equally spaced), y = recall in [0, 1].
func recallPanel(img *image.RGBA, title string, ratios []int, series []MethodRecall, o image.Point) {
	canvas.Text(img, o.X, o.Y-22, title, black)
	for i := 0; i <= 4; i++ {
		v := float64(i) / 4
		y := o.Y + plotH - int(v*plotH)
		hline(img, o.X, o.X+plotW, y, grid)
		s := fmt.Sprintf("%.2f", v)
		canvas.Text(img, o.X-canvas.TextWidth(s)-6, y-canvas.TextHeight/2, s, black)
	}
	n := len(ratios)
	xAt := func(i int) int {
		if n == 1 {
			return o.X + plotW/2
		}
		return o.X + 20 + i*(plotW-40)/(n-1)
	}
	for i, ratio := range ratios {
		s := fmt.Sprintf("x%d", ratio)
		canvas.Text(img, xAt(i)-canvas.TextWidth(s)/2, o.Y+plotH+8, s, black)
	}
	axes(img, o)
	for k, mr := range series {
		c := methodColor[mr.Method]
		for i, v := range mr.Mean {
			x, y := xAt(i), o.Y+plotH-int(clamp01(v)*plotH)
			canvas.Fill(img, image.Rect(x-3, y-3, x+4, y+4), c)
			if i > 0 {
				px, py := xAt(i-1), o.Y+plotH-int(clamp01(mr.Mean[i-1])*plotH)
				canvas.Line(img, px, py, x, y, c)
			}
		}
		// Legend, below the axis.
		lx := o.X + (k%3)*150
		ly := o.Y + plotH + 26 + (k/3)*16
		canvas.Fill(img, image.Rect(lx, ly+1, lx+14, ly+canvas.TextHeight-1), c)
		canvas.Text(img, lx+20, ly, mr.Method, black)
	}
}

// pplPanel: one bar per method; the axis starts just below the lowest
// perplexity so that differences show (its labels say where).
func pplPanel(img *image.RGBA, p *Perplexity, o image.Point) {
	canvas.Text(img, o.X, o.Y-22, fmt.Sprintf("perplexity, cache %d, window %d", p.CacheSize, p.Window), black)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, m := range p.Methods {
		lo, hi = math.Min(lo, m.PPL), math.Max(hi, m.PPL)
	}
	span := hi - lo
	if span <= 0 || math.IsNaN(span) || math.IsInf(span, 0) {
		span = math.Max(math.Abs(hi), 1) * 0.1
	}
	lo, hi = math.Max(0, lo-0.5*span), hi+0.2*span
	yAt := func(v float64) int { return o.Y + plotH - int((v-lo)/(hi-lo)*plotH) }
	for i := 0; i <= 4; i++ {
		v := lo + float64(i)/4*(hi-lo)
		y := yAt(v)
		hline(img, o.X, o.X+plotW, y, grid)
		s := fmt.Sprintf("%.3g", v)
		canvas.Text(img, o.X-canvas.TextWidth(s)-6, y-canvas.TextHeight/2, s, black)
	}
	axes(img, o)
	n := len(p.Methods)
	slot := plotW / max(n, 1)
	for i, m := range p.Methods {
		x0 := o.X + i*slot + slot/5
		x1 := o.X + (i+1)*slot - slot/5
		y := yAt(m.PPL)
		if !math.IsNaN(m.PPL) && !math.IsInf(m.PPL, 0) {
			canvas.Fill(img, image.Rect(x0, y, x1, o.Y+plotH), methodColor[m.Method])
			s := fmt.Sprintf("%.3f", m.PPL)
			canvas.Text(img, (x0+x1)/2-canvas.TextWidth(s)/2, y-canvas.TextHeight-4, s, black)
		}
		canvas.Text(img, (x0+x1)/2-canvas.TextWidth(m.Method)/2, o.Y+plotH+8, m.Method, black)
	}
}

func axes(img *image.RGBA, o image.Point) {
	hline(img, o.X, o.X+plotW, o.Y+plotH, black)
	for y := o.Y; y <= o.Y+plotH; y++ {
		img.SetRGBA(o.X, y, black)
	}
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA) {
	for x := x0; x <= x1; x++ {
		img.SetRGBA(x, y, c)
	}
}

// WritePNG plots the report to path atomically.
func WritePNG(path string, r *Report, title string) error {
	return canvas.WritePNG(path, Plot(r, title))
}
