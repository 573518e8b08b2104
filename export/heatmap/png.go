package heatmap

import (
	"fmt"
	"github.com/qfilters/qfilters/internal/canvas"
	"image"
	"image/color"
	"math"
	"strings"
)

// Ramp returns the colour of a value in [0, 1] on a red-yellow-green ramp.
func Ramp(f float64) color.RGBA {
	f = math.Max(0, math.Min(1, f))
	if f < 0.5 {
		return color.RGBA{220, uint8(40 + 360*f), 40, 255} // red -> yellow
	}
	return color.RGBA{uint8(220 - 360*(f-0.5)), 220, 40, 255} // yellow -> green
}

var (
	bg      = color.RGBA{255, 255, 255, 255}
	ink     = color.RGBA{20, 20, 20, 255}
	missing = color.RGBA{200, 200, 200, 255}
)

const (
	margin = 8
	scale  = canvas.Scale // font pixel size
)

// PNG renders the grids one below the other, each with its title, layer and
// head ticks and a colour bar of its scale.
func PNG(grids []Grid) *image.RGBA {
	cell := 12
	maxCols := 1
	for _, g := range grids {
		maxCols = max(maxCols, g.Cols+gaps(g))
	}
	if maxCols*cell > 1600 {
		cell = max(3, 1600/maxCols)
	}
	labelW := canvas.TextWidth("L000") + 4
	width := margin*2 + labelW + maxCols*cell
	width = max(width, margin*2+canvas.TextWidth("0.00")*2+220)
	lineH := 5*scale + 4
	height := margin
	for _, g := range grids {
		height += lineH + lineH + g.Rows*cell + 6 + lineH + 10 + lineH
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	canvas.Fill(img, img.Rect, bg)
	y := margin
	for _, g := range grids {
		canvas.Text(img, margin, y, strings.ToUpper(g.Title), ink)
		y += lineH
		x0 := margin + labelW
		// head ticks every 10 columns
		for c := 0; c < g.Cols; c += 10 {
			canvas.Text(img, x0+colX(g, c, cell), y, fmt.Sprint(c), ink)
		}
		y += lineH
		for r := 0; r < g.Rows; r++ {
			if r%5 == 0 || g.Rows <= 12 {
				if cell >= 5*scale || r%5 == 0 {
					canvas.Text(img, margin, y+r*cell, fmt.Sprintf("L%d", r), ink)
				}
			}
			for c := 0; c < g.Cols; c++ {
				col := missing
				if f := g.frac(g.At(r, c)); !math.IsNaN(f) {
					col = Ramp(f)
				}
				x := x0 + colX(g, c, cell)
				canvas.Fill(img, image.Rect(x, y+r*cell, x+cell-1, y+(r+1)*cell-1), col)
			}
		}
		y += g.Rows*cell + 6
		// colour bar
		canvas.Text(img, margin, y, fmt.Sprintf("%.2f", g.Lo), ink)
		bx := margin + canvas.TextWidth("0.00") + 6
		for i := 0; i < 200; i++ {
			canvas.Fill(img, image.Rect(bx+i, y, bx+i+1, y+5*scale), Ramp(float64(i)/199))
		}
		canvas.Text(img, bx+206, y, fmt.Sprintf("%.2f", g.Hi), ink)
		y += lineH + 10 + lineH
	}
	return img
}

func gaps(g Grid) int {
	if g.Group > 1 && g.Cols > 0 {
		return (g.Cols - 1) / g.Group
	}
	return 0
}

// colX is the x offset of column c (with a gap of 1/3 cell between groups).
func colX(g Grid, c, cell int) int {
	x := c * cell
	if g.Group > 1 {
		x += (c / g.Group) * max(2, cell/3)
	}
	return x
}

// WritePNG renders the grids and writes the picture to path atomically.
func WritePNG(path string, grids []Grid) error {
	return canvas.WritePNG(path, PNG(grids))
}
