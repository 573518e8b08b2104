package figure

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func testFigure() *Figure {
	rows, cols := 32, 32
	vals := make([]float64, rows*cols)
	for i := range vals {
		vals[i] = 0.5 + 0.5*math.Sin(float64(i)/7)
	}
	vals[5] = math.NaN()
	thr := 0.95
	return &Figure{
		Title: "test model: energy share",
		Cols:  2,
		Panels: []Panel{
			&Heatmap{Title: "energy share per query head", XLabel: "query head", YLabel: "layer", Rows: rows, Cols: cols,
				Values: vals, Lo: 0, Hi: 1, ScaleLabel: "σ₁² / Σσ²", Group: 4, Marked: [][2]int{{3, 4}}, MarkLabel: "weakest"},
			&Heatmap{Title: "cosine", Rows: 2, Cols: 3, Values: []float64{1, 0.99, 0.5, 1, 1, 0.98}, Lo: 0.9, Hi: 1, Threshold: &thr},
			&Lines{Title: "recall", XLabel: "compression ratio", YLabel: "recall", X: []float64{2, 4, 8, 16, 32}, XPrefix: "x",
				Series: []Series{{Name: "qfilters", Y: []float64{0.9, 0.7, 0.5, 0.3, 0.2}, Color: color.RGBA{B: 200, A: 255}}},
				Bound:  &Series{Name: "oracle", Y: []float64{0.95, 0.8, 0.6, 0.4, 0.3}, Color: color.Gray{Y: 100}}},
			&Bars{Title: "perplexity", YLabel: "perplexity", Names: []string{"full", "qfilters"}, Values: []float64{3.6, 3.9},
				Colors: []color.Color{color.Black, color.RGBA{B: 200, A: 255}}, Ref: ptr(3.6), RefLabel: "full cache"},
		},
	}
}

func ptr(v float64) *float64 { return &v }

func TestRenderDeterministic(t *testing.T) {
	for _, ext := range Formats {
		a, err := testFigure().Render(ext)
		if err != nil {
			t.Fatal(err)
		}
		b, err := testFigure().Render(ext)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) < 1000 || !bytes.Equal(a, b) {
			t.Errorf("%s: two renderings differ (%d, %d bytes)", ext, len(a), len(b))
		}
	}
}

func TestSavePNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	f := testFigure()
	if err := f.Save(filepath.Join(dir, "f.png")); err != nil {
		t.Fatal(err)
	}
	r, err := os.Open(filepath.Join(dir, "f.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	img, err := png.Decode(r)
	if err != nil {
		t.Fatal(err)
	}
	// Two columns of panels: a 32 x 32 heat map at 0.2 in a cell is over
	// 6 inches wide, at 110 dpi.
	if w := img.Bounds().Dx(); w < 1300 {
		t.Errorf("PNG is %d px wide", w)
	}
	if err := f.Save(filepath.Join(dir, "f.svg")); err != nil {
		t.Fatal(err)
	}
	svg, _ := os.ReadFile(filepath.Join(dir, "f.svg"))
	for _, want := range []string{"<svg", "energy share per query head", "query head", "x16", "oracle", "full cache", "weakest", "threshold 0.95"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestSaveRefuses(t *testing.T) {
	dir := t.TempDir()
	if err := testFigure().Save(filepath.Join(dir, "f.jpg")); err == nil || !strings.Contains(err.Error(), ".png or .svg") {
		t.Errorf("jpg: %v", err)
	}
	bad := &Figure{Panels: []Panel{&Heatmap{Rows: 2, Cols: 2, Values: []float64{1}}}}
	if err := bad.Save(filepath.Join(dir, "g.png")); err == nil {
		t.Error("mis-sized heat map saved")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestCheckPathDirectory: a path that is a directory cannot take the
// picture; CheckPath said nothing and Save failed once the work was done
// ("writing DIR: file exists").
func TestCheckPathDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fig.png")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckPath(dir); err == nil || !strings.Contains(err.Error(), dir+" is a directory") {
		t.Errorf("CheckPath(%s) = %v, want it to say it is a directory", dir, err)
	}
}

// TestPanelTitleFits: a panel title wider than its panel is wrapped, not
// cut at the page's edge (inspect's "split-half stability (filters of
// disjoint halves of the sequences) (ringed: weakest 5)" lost its first
// word in every figure of a model with few heads).
func TestPanelTitleFits(t *testing.T) {
	long := "split-half stability (filters of disjoint halves of the sequences), a title much wider than its panel"
	f := &Figure{Title: "t", Cols: 2, Panels: []Panel{
		&Heatmap{Title: long, Rows: 2, Cols: 2, Values: []float64{1, 0.5, 0.2, 0.9}, Lo: 0, Hi: 1, Marked: [][2]int{{0, 0}}, MarkLabel: "weakest 1"},
		&Lines{Title: long, X: []float64{2, 4}, Series: []Series{{Name: "a", Y: []float64{0.5, 0.4}, Color: color.Black}}},
		&Bars{Title: long, Names: []string{"a", "b"}, Values: []float64{1, 2}, Colors: []color.Color{color.Black, color.Black}},
	}}
	svg, err := f.Render(".svg")
	if err != nil {
		t.Fatal(err)
	}
	textOnPage(t, svg, long)
}

// TestFigureTitleFits: the figure's title is wrapped to the figure's width
// (inspect of a one-panel directory, "/path/to/dir: 3 layers x 2 kv heads
// (no provenance...)", lost both ends of its title), and the panels move
// down to make room.
func TestFigureTitleFits(t *testing.T) {
	long := "/a/rather/long/path/to/some/filter/directory/kvpress_qfilt: 3 layers x 2 kv heads (no provenance: a reference directory)"
	hm := &Heatmap{Title: "norm", Rows: 2, Cols: 2, Values: []float64{1, 0.5, 0.2, 0.9}, Lo: 0, Hi: 1}
	short := &Figure{Title: "t", Panels: []Panel{hm}}
	f := &Figure{Title: long, Panels: []Panel{hm}}
	svg, err := f.Render(".svg")
	if err != nil {
		t.Fatal(err)
	}
	_, height := textOnPage(t, svg, long)
	svgShort, err := short.Render(".svg")
	if err != nil {
		t.Fatal(err)
	}
	_, shortHeight := viewBox(t, svgShort)
	if !(height > shortHeight) {
		t.Errorf("a wrapped title leaves the figure %g high, as a one-line one (%g): the panels would cover it", height, shortHeight)
	}
}

// viewBox is an SVG's page size.
func viewBox(t *testing.T, svg []byte) (width, height float64) {
	t.Helper()
	if _, err := fmt.Sscanf(string(svg[bytes.Index(svg, []byte("viewBox=")):]), `viewBox="0 0 %g %g`, &width, &height); err != nil {
		t.Fatal(err)
	}
	return width, height
}

// textOnPage checks that every text of svg starts on the page and that every
// word of title is drawn; it returns the page size.
func textOnPage(t *testing.T, svg []byte, title string) (width, height float64) {
	t.Helper()
	width, height = viewBox(t, svg)
	words := map[string]bool{}
	for _, m := range regexp.MustCompile(`<text x="([-0-9.e+]+)"[^>]*>\s*([^<]*)<`).FindAllSubmatch(svg, -1) {
		x, _ := strconv.ParseFloat(string(m[1]), 64)
		line := strings.TrimSpace(string(m[2]))
		if x < 0 || x > width {
			t.Errorf("text %q starts at x=%g, outside the page [0, %g]", line, x, width)
		}
		for _, w := range strings.Fields(line) {
			words[w] = true
		}
	}
	for _, w := range strings.Fields(title) {
		if !words[w] {
			t.Errorf("the word %q of the title is not drawn", w)
		}
	}
	return width, height
}
