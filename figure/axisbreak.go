package figure

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// axisBreak marks a value axis that does not start at zero: a slanted white
// gap cut through the foot of every bar (at the X of each of bars) and a broken
// axis line (two slanted strokes, the line hidden between them) at the same
// height. The axis line must lie at the data's left edge (Y.Padding 0).
type axisBreak struct {
	bars  []float64 // their X
	width vg.Length // of a bar
}

// Sizes of the marks, above the bottom of the data area.
var (
	breakHeight = vg.Points(10)  // height of the gap's middle
	breakGap    = vg.Points(3.5) // gap
	breakRise   = vg.Points(2.5) // rise of the gap across a bar
	breakAxis   = vg.Points(5)   // half-width of the mark on the axis
)

// Plot implements plot.Plotter.
func (b axisBreak) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	y := c.Min.Y + breakHeight
	// band is the slanted gap from x0 to x1, rising by rise.
	band := func(x0, x1, rise vg.Length) (lo, hi [2]vg.Point) {
		lo = [2]vg.Point{{X: x0, Y: y - breakGap/2 - rise/2}, {X: x1, Y: y - breakGap/2 + rise/2}}
		hi = [2]vg.Point{{X: x0, Y: y + breakGap/2 - rise/2}, {X: x1, Y: y + breakGap/2 + rise/2}}
		var path vg.Path
		path.Move(lo[0])
		path.Line(lo[1])
		path.Line(hi[1])
		path.Line(hi[0])
		path.Close()
		c.SetColor(white)
		c.Fill(path)
		return lo, hi
	}
	over := vg.Points(1) // past the bar's anti-aliased edges
	for _, bx := range b.bars {
		x := trX(bx)
		band(x-b.width/2-over, x+b.width/2+over, breakRise)
	}
	ax := c.Min.X
	lo, hi := band(ax-breakAxis, ax+breakAxis, breakAxis)
	sty := draw.LineStyle{Color: black, Width: vg.Points(1)}
	c.StrokeLines(sty, lo[:], hi[:])
}
