package figure

import (
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
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

// fitTitle wraps p's title so that each line fits in c's width: a centred
// line wider than its panel would run off the page or into the next panel.
func fitTitle(p *plot.Plot, c draw.Canvas) {
	p.Title.Text = wrapText(p.Title.TextStyle, p.Title.Text, c.Max.X-c.Min.X)
}

// wrapText breaks each line of s at spaces, and a word wider than width
// after its slashes (a path), so that every line drawn in st fits in width
// where its words allow.
func wrapText(st text.Style, s string, width vg.Length) string {
	var lines []string
	for _, line := range strings.Split(s, "\n") {
		var words []string
		for _, w := range strings.Fields(line) {
			words = append(words, splitPath(st, w, width)...)
		}
		cur := ""
		for _, w := range words {
			sep := " "
			if strings.HasSuffix(cur, "/") {
				sep = "" // the rest of a path goes on
			}
			if cur != "" && st.Width(cur+sep+w) > width {
				lines = append(lines, cur)
				cur = w
				continue
			}
			if cur == "" {
				cur = w
			} else {
				cur += sep + w
			}
		}
		lines = append(lines, cur)
	}
	return strings.Join(lines, "\n")
}

// splitPath cuts a word wider than width after its slashes, each piece
// keeping its slash.
func splitPath(st text.Style, w string, width vg.Length) []string {
	if st.Width(w) <= width || !strings.Contains(strings.TrimSuffix(w, "/"), "/") {
		return []string{w}
	}
	var parts []string
	for {
		i := strings.Index(w, "/")
		if i < 0 || i == len(w)-1 {
			return append(parts, w)
		}
		parts = append(parts, w[:i+1])
		w = w[i+1:]
	}
}
