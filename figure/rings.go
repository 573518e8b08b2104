package figure

import (
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// rings marks heat-map cells ([row, col]) with a ring: a line in markColor
// edged in black, so that it shows on every colour of the scale, around a
// hole where the cell's own colour stays visible. Its size follows the
// drawn cell's.
type rings [][2]int

// Ring sizes: the radius is a share of the smaller side of a drawn cell,
// within bounds; the line is drawn in black, then in markColor over its
// middle.
var (
	ringShare = vg.Length(0.36)
	ringMin   = vg.Points(3)
	ringMax   = vg.Points(12)
	ringEdge  = vg.Points(2.8) // black
	ringLine  = vg.Points(1.5) // markColor
)

// Plot implements plot.Plotter.
func (r rings) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	cell := min(trX(1)-trX(0), trY(1)-trY(0))
	radius := min(max(cell*ringShare, ringMin), ringMax)
	for _, m := range r {
		ctr := vg.Point{X: trX(float64(m[1])), Y: trY(float64(m[0]))}
		var path vg.Path
		path.Move(vg.Point{X: ctr.X + radius, Y: ctr.Y})
		path.Arc(ctr, radius, 0, 2*math.Pi)
		path.Close()
		c.SetLineStyle(draw.LineStyle{Color: black, Width: ringEdge})
		c.Stroke(path)
		c.SetLineStyle(draw.LineStyle{Color: markColor, Width: ringLine})
		c.Stroke(path)
	}
}
