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

// Bars is one bar per method, with a reference line (the full cache).
type Bars struct {
	Title, YLabel string
	Names         []string
	Values        []float64
	Colors        []color.Color
	// Ref, when set, is drawn across the bars and labelled RefLabel.
	Ref      *float64
	RefLabel string
}

func (b *Bars) size() (vg.Length, vg.Length) { return 5.2 * vg.Inch, 4.4 * vg.Inch }

func (b *Bars) draw(c draw.Canvas) error {
	if len(b.Names) == 0 || len(b.Names) != len(b.Values) || len(b.Colors) != len(b.Values) {
		return fmt.Errorf("bar chart %q: %d names, %d values, %d colours", b.Title, len(b.Names), len(b.Values), len(b.Colors))
	}
	p := plot.New()
	style(p, b.Title, "", b.YLabel)
	bottom, top, broken := b.yRange()
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = color.Transparent, gridColor
	p.Add(g)
	w := vg.Length(0.55 * vg.Inch)
	var drawn []float64 // X of the bars drawn
	for i, v := range b.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		// Bars start at 0; the plot clips them at the axis minimum, where
		// a broken axis marks them cut.
		bar, err := plotter.NewBarChart(plotter.Values{v}, w)
		if err != nil {
			return err
		}
		bar.Color = b.Colors[i]
		bar.LineStyle.Width = 0
		bar.XMin = float64(i)
		p.Add(bar)
		drawn = append(drawn, float64(i))
		lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: float64(i), Y: v}}, Labels: []string{fmt.Sprintf("%.3f", v)}})
		if err != nil {
			return err
		}
		lbl.TextStyle[0].XAlign = draw.XCenter
		lbl.TextStyle[0].Font.Size = vg.Points(8)
		lbl.Offset = vg.Point{Y: vg.Points(3)}
		p.Add(lbl)
	}
	if b.Ref != nil {
		l, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: *b.Ref}, {X: float64(len(b.Values)) - 0.5, Y: *b.Ref}})
		if err != nil {
			return err
		}
		l.LineStyle = draw.LineStyle{Color: black, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
		p.Add(l)
		p.Legend.Add(b.RefLabel, l)
		p.Legend.Top = true
	}
	p.NominalX(b.Names...)
	// Set after Add, which widens the ranges to the bars' (from 0).
	p.X.Min, p.X.Max = -0.5, float64(len(b.Values))-0.5
	p.Y.Min, p.Y.Max = bottom, top
	if broken {
		p.Add(axisBreak{bars: drawn, width: w})
		p.Y.Padding = 0 // the axis line at the data's left edge, where the mark is drawn
	}
	fitTitle(p, c)
	p.Draw(c)
	return nil
}

// yRange is the value axis: from zero, unless the bars differ by little
// against their height; then it starts below the lowest bar so that the
// differences show, and broken says the bars are cut (the chart marks it).
// The labels on the bars give the exact values either way.
func (b *Bars) yRange() (bottom, top float64, broken bool) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range b.Values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if b.Ref != nil && !math.IsNaN(*b.Ref) && !math.IsInf(*b.Ref, 0) {
		lo, hi = math.Min(lo, *b.Ref), math.Max(hi, *b.Ref)
	}
	if math.IsInf(lo, 0) {
		return 0, 1, false
	}
	span := hi - lo
	if span <= 0 {
		span = math.Max(math.Abs(hi), 1) * 0.1
	}
	top = hi + 0.25*span
	bottom = lo - 0.6*span
	// A cut that would save less than a third of the height is not worth
	// the break.
	if lo <= 0 || bottom < top/3 {
		return math.Min(0, bottom), top, false
	}
	return bottom, top, true
}
