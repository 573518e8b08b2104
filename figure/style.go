package figure

import (
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

var (
	white     = color.White
	black     = color.Gray{Y: 20}
	gridColor = color.Gray{Y: 225}
	markColor = color.RGBA{R: 0, G: 200, B: 255, A: 255}
)

// style gives every plot the same face: titles, labels, font sizes.
func style(p *plot.Plot, title, x, y string) {
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(10)
		a.Tick.Label.Font.Size = vg.Points(8)
	}
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.BackgroundColor = color.Transparent
}

// fitTitle wraps p's title at spaces so that each line fits in c's width:
// a centred line wider than its panel would run off the page or into the
// next panel.
func fitTitle(p *plot.Plot, c draw.Canvas) {
	width := c.Max.X - c.Min.X
	st := p.Title.TextStyle
	var lines []string
	for _, line := range strings.Split(p.Title.Text, "\n") {
		cur := ""
		for _, word := range strings.Fields(line) {
			if cur != "" && st.Width(cur+" "+word) > width {
				lines = append(lines, cur)
				cur = word
				continue
			}
			cur = strings.TrimPrefix(cur+" "+word, " ")
		}
		lines = append(lines, cur)
	}
	p.Title.Text = strings.Join(lines, "\n")
}
