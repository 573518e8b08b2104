package figure

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one method's curve.
type Series struct {
	Name  string
	Y     []float64 // at Lines.X; NaN: not measured
	Color color.Color
}

// Lines is curves against a log2 x axis (compression ratios), y in [0, 1].
type Lines struct {
	Title, XLabel, YLabel string
	X                     []float64 // ratios (> 0)
	Series                []Series
	// Bound, when set, is drawn as a shaded area under its curve: the upper
	// bound the other curves are measured against (the oracle).
	Bound *Series
	// XPrefix labels the ticks ("x" gives x2, x4...).
	XPrefix string
}

func (l *Lines) size() (vg.Length, vg.Length) { return 5.2 * vg.Inch, 4.4 * vg.Inch }

func (l *Lines) draw(c draw.Canvas) error {
	if len(l.X) == 0 {
		return fmt.Errorf("plot %q has no x values", l.Title)
	}
	for _, s := range append(l.Series, l.bound()...) {
		if len(s.Y) != len(l.X) {
			return fmt.Errorf("plot %q: %s has %d values for %d x values", l.Title, s.Name, len(s.Y), len(l.X))
		}
	}
	p := plot.New()
	style(p, l.Title, l.XLabel, l.YLabel)
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		ts := make([]plot.Tick, len(l.X))
		for i, x := range l.X {
			ts[i] = plot.Tick{Value: x, Label: fmt.Sprintf("%s%g", l.XPrefix, x)}
		}
		return ts
	})
	// Room above 1 for the legend, so that it never hides a curve.
	entries := len(l.Series) + len(l.bound())
	p.Y.Min, p.Y.Max = 0, 1+0.075*float64(entries)
	p.Y.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		var ts []plot.Tick
		for v := 0.0; v <= 1.0001; v += 0.125 {
			t := plot.Tick{Value: v}
			if int(v*8)%2 == 0 {
				t.Label = fmt.Sprintf("%.2f", v)
			}
			ts = append(ts, t)
		}
		return ts
	})
	p.X.Min, p.X.Max = l.X[0]/1.15, l.X[len(l.X)-1]*1.15
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = gridColor, gridColor
	p.Add(g)
	if b := l.Bound; b != nil {
		poly := plotter.XYs{{X: l.X[0], Y: 0}}
		for i, x := range l.X {
			poly = append(poly, plotter.XY{X: x, Y: finite(b.Y[i])})
		}
		poly = append(poly, plotter.XY{X: l.X[len(l.X)-1], Y: 0})
		area, err := plotter.NewPolygon(poly)
		if err != nil {
			return err
		}
		area.Color = color.NRGBA{R: 128, G: 128, B: 128, A: 45}
		area.LineStyle.Width = 0
		p.Add(area)
		if err := addCurve(p, l.X, *b, true); err != nil {
			return err
		}
	}
	for _, s := range l.Series {
		if err := addCurve(p, l.X, s, false); err != nil {
			return err
		}
	}
	p.Legend.Top = true
	p.Legend.Left = false
	p.Legend.XOffs = -0.05 * vg.Inch
	fitTitle(p, c)
	p.Draw(c)
	return nil
}

func addCurve(p *plot.Plot, x []float64, s Series, dashed bool) error {
	var pts plotter.XYs
	for i, y := range s.Y {
		if !math.IsNaN(y) && !math.IsInf(y, 0) {
			pts = append(pts, plotter.XY{X: x[i], Y: y})
		}
	}
	if len(pts) == 0 {
		return nil
	}
	line, points, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	line.Color, points.Color = s.Color, s.Color
	line.Width = vg.Points(1.6)
	points.Shape = draw.CircleGlyph{}
	points.Radius = vg.Points(2.6)
	if dashed {
		line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	p.Add(line, points)
	p.Legend.Add(s.Name, line, points)
	return nil
}

func (l *Lines) bound() []Series {
	if l.Bound == nil {
		return nil
	}
	return []Series{*l.Bound}
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
