// Package heatmap renders grids of per-head values (layers as rows, heads as
// columns) as compact terminal heat maps (pictures are package figure's).
package heatmap

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Grid is one heat map. Values are row-major, Rows*Cols; NaN marks a missing cell.
type Grid struct {
	Title      string
	Rows, Cols int
	Values     []float64
	// Lo and Hi bound the colour scale; values outside are clamped.
	Lo, Hi float64
	// Group > 1 draws a separator every Group columns (GQA groups).
	Group int
}

// At returns the value at row r, column c.
func (g Grid) At(r, c int) float64 { return g.Values[r*g.Cols+c] }

// frac maps v to [0, 1] on the grid's scale (NaN stays NaN).
func (g Grid) frac(v float64) float64 {
	if math.IsNaN(v) {
		return v
	}
	if g.Hi <= g.Lo {
		return 1
	}
	return math.Max(0, math.Min(1, (v-g.Lo)/(g.Hi-g.Lo)))
}

// blocks are the shades of the text rendering, lowest first.
var blocks = []rune("▁▂▃▄▅▆▇█")

// palette is an ANSI 256-colour ramp from red (low) through yellow to green (high).
var palette = []int{196, 202, 208, 214, 220, 226, 190, 154, 118, 82, 46}

func level(f float64, n int) int {
	i := int(f * float64(n))
	if i >= n {
		i = n - 1
	}
	return i
}

// Text writes g as a terminal heat map: one character per cell, a block
// whose height grows with the value, in colour (ANSI 256) when color is set.
func Text(w io.Writer, g Grid, color bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  (rows: layers, columns: heads; scale %s %.2f … %.2f %s, · unavailable)\n",
		g.Title, string(blocks[0]), g.Lo, g.Hi, string(blocks[len(blocks)-1]))
	lw := len(fmt.Sprint(g.Rows - 1))
	writeRuler(&b, g, lw)
	for r := 0; r < g.Rows; r++ {
		fmt.Fprintf(&b, "L%0*d ", lw, r)
		for c := 0; c < g.Cols; c++ {
			if g.Group > 1 && c > 0 && c%g.Group == 0 {
				b.WriteByte(' ')
			}
			f := g.frac(g.At(r, c))
			if math.IsNaN(f) {
				b.WriteRune('·')
				continue
			}
			ch := blocks[level(f, len(blocks))]
			if color {
				fmt.Fprintf(&b, "\x1b[38;5;%dm%c\x1b[0m", palette[level(f, len(palette))], ch)
			} else {
				b.WriteRune(ch)
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeRuler numbers every column above the rows, one digit per cell read
// downwards (tens above units when there are more than ten columns), with
// the group gaps of the rows; the last line is labelled H as the rows are L.
func writeRuler(b *strings.Builder, g Grid, lw int) {
	digits := len(fmt.Sprint(g.Cols - 1))
	for d := digits - 1; d >= 0; d-- {
		label := ""
		if d == 0 {
			label = "H"
		}
		fmt.Fprintf(b, "%*s ", lw+1, label)
		pow := int(math.Pow10(d))
		for c := 0; c < g.Cols; c++ {
			if g.Group > 1 && c > 0 && c%g.Group == 0 {
				b.WriteByte(' ')
			}
			if c >= pow || d == 0 {
				b.WriteByte(byte('0' + c/pow%10))
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString("\n")
	}
}
