package figure

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Heatmap is a grid of per-head values: layers up the y axis, heads along x.
type Heatmap struct {
	Title          string
	XLabel, YLabel string // e.g. "query head", "layer"
	Rows, Cols     int
	Values         []float64 // row-major, Rows*Cols; NaN: not available
	// Lo and Hi bound the colour scale; values outside take its ends.
	Lo, Hi float64
	// ScaleLabel names the colour bar's quantity.
	ScaleLabel string
	// Group > 1 draws a separator every Group columns (GQA groups).
	Group int
	// Marked cells ([row, col]) get a ring, the cell's colour showing inside
	// and around it: the weakest heads. MarkLabel says so in the title.
	Marked    [][2]int
	MarkLabel string
	// Threshold, when set, is drawn on the colour bar (diff's --min-cos),
	// and cells below it are marked as well.
	Threshold *float64
}

// cellSize keeps a 32 x 32 grid legible at 100%.
const (
	cellSize = 0.2 * vg.Inch
	minSide  = 3.2 * vg.Inch
)

func (hm *Heatmap) size() (vg.Length, vg.Length) {
	w := max(minSide, vg.Length(hm.Cols)*cellSize) + 2.2*vg.Inch
	h := max(minSide*0.75, vg.Length(hm.Rows)*cellSize) + 1.3*vg.Inch
	return w, h
}

// grid adapts Heatmap to plotter.GridXYZ.
type grid struct{ *Heatmap }

func (g grid) Dims() (int, int)   { return g.Cols, g.Rows }
func (g grid) Z(c, r int) float64 { return g.Values[r*g.Cols+c] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }
func (g grid) Min() float64       { return g.Lo }
func (g grid) Max() float64       { return g.Hi }
func (hm *Heatmap) check() error {
	if hm.Rows < 1 || hm.Cols < 1 || len(hm.Values) != hm.Rows*hm.Cols {
		return fmt.Errorf("heat map %q: %d values for %d x %d cells", hm.Title, len(hm.Values), hm.Rows, hm.Cols)
	}
	return nil
}

func (hm *Heatmap) draw(c draw.Canvas) error {
	if err := hm.check(); err != nil {
		return err
	}
	lo, hi := hm.Lo, hm.Hi
	if !(hi > lo) {
		hi = lo + 1
	}
	cmap, err := viridis()
	if err != nil {
		return err
	}
	cmap.SetMin(lo)
	cmap.SetMax(hi)

	p := plot.New()
	title := hm.Title
	if len(hm.Marked) > 0 && hm.MarkLabel != "" {
		title += " (ringed: " + hm.MarkLabel + ")"
	}
	style(p, title, hm.XLabel, hm.YLabel)
	h := plotter.NewHeatMap(grid{hm}, cmap.Palette(255))
	h.Min, h.Max = lo, hi
	h.Underflow, h.Overflow = cmap.Palette(255).Colors()[0], cmap.Palette(255).Colors()[254]
	h.NaN = color.Gray{Y: 200}
	p.Add(h)
	p.X.Min, p.X.Max = -0.5, float64(hm.Cols)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(hm.Rows)-0.5
	p.X.Tick.Marker = indexTicks(hm.Cols)
	p.Y.Tick.Marker = indexTicks(hm.Rows)
	p.X.Padding, p.Y.Padding = 0, 0

	if hm.Group > 1 && hm.Group < hm.Cols {
		for x := hm.Group; x < hm.Cols; x += hm.Group {
			l, err := plotter.NewLine(plotter.XYs{{X: float64(x) - 0.5, Y: -0.5}, {X: float64(x) - 0.5, Y: float64(hm.Rows) - 0.5}})
			if err != nil {
				return err
			}
			l.LineStyle = draw.LineStyle{Color: white, Width: vg.Points(1.2)}
			p.Add(l)
		}
	}
	marked := append([][2]int(nil), hm.Marked...)
	if hm.Threshold != nil {
		for r := 0; r < hm.Rows; r++ {
			for col := 0; col < hm.Cols; col++ {
				if v := hm.Values[r*hm.Cols+col]; v < *hm.Threshold {
					marked = append(marked, [2]int{r, col})
				}
			}
		}
	}
	if len(marked) > 0 {
		p.Add(rings(marked))
	}

	bar := plot.New()
	style(bar, "", "", "")
	cb := &plotter.ColorBar{ColorMap: cmap, Vertical: true}
	bar.Add(cb)
	bar.HideX()
	bar.Y.Label.Text = hm.ScaleLabel
	bar.Y.Padding = 0
	bar.Y.Tick.Marker = plot.DefaultTicks{}
	if hm.Threshold != nil && *hm.Threshold >= lo && *hm.Threshold <= hi {
		l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: *hm.Threshold}, {X: 1, Y: *hm.Threshold}})
		if err != nil {
			return err
		}
		l.LineStyle = draw.LineStyle{Color: markColor, Width: vg.Points(2.5)}
		bar.Add(l)
		bar.Legend.Add(fmt.Sprintf("threshold %g", *hm.Threshold), l)
		bar.Legend.Top = true
		bar.Legend.YOffs = 0.35 * vg.Inch
		bar.Legend.XOffs = -0.2 * vg.Inch
	}

	barW := 1.1 * vg.Inch
	main := draw.Crop(c, 0, -barW, 0, 0)
	side := draw.Crop(c, c.Max.X-c.Min.X-barW, -0.1*vg.Inch, (c.Max.Y-c.Min.Y)*0.12, -(c.Max.Y-c.Min.Y)*0.12)
	fitTitle(p, main)
	p.Draw(main)
	bar.Draw(side)
	return nil
}

// viridis is a perceptually uniform map from dark violet (low) to yellow
// (high), readable in grey and by the colour-blind, with no white end that
// would vanish against the page.
func viridis() (palette.ColorMap, error) {
	return moreland.NewLuminance([]color.Color{
		color.NRGBA{0x44, 0x01, 0x54, 255}, color.NRGBA{0x3b, 0x52, 0x8b, 255}, color.NRGBA{0x21, 0x91, 0x8c, 255},
		color.NRGBA{0x5e, 0xc9, 0x62, 255}, color.NRGBA{0xfd, 0xe7, 0x25, 255},
	})
}

// indexTicks labels every index when there are few, every k-th otherwise
// (with a minor tick on each).
func indexTicks(n int) plot.Ticker {
	step := 1
	for n/step > 32 {
		step *= 2
	}
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		var ts []plot.Tick
		for i := 0; i < n; i++ {
			t := plot.Tick{Value: float64(i)}
			if i%step == 0 {
				t.Label = fmt.Sprint(i)
			}
			ts = append(ts, t)
		}
		return ts
	})
}
