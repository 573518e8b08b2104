package figure

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func renderPNG(t *testing.T, f *Figure) image.Image {
	t.Helper()
	data, err := f.Render(".png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}

// TestRingsShowCellColour: a marked cell is ringed, its own colour still
// showing in the middle of the ring: between the pictures with and without
// the mark, the pixels change on a ring around an unchanged centre, and the
// ring is drawn in the mark colour.
func TestRingsShowCellColour(t *testing.T) {
	for _, n := range []int{4, 32} { // large cells, and the smallest
		hm := func(marked [][2]int) *Figure {
			vals := make([]float64, n*n)
			for i := range vals {
				vals[i] = float64(i%7) / 7
			}
			return &Figure{Panels: []Panel{&Heatmap{Rows: n, Cols: n, Values: vals, Lo: 0, Hi: 1, Marked: marked, MarkLabel: "x"}}}
		}
		// The title differs with a mark ("ringed: x"): leave it out.
		plain, ringed := hm(nil), hm([][2]int{{n / 2, n / 2}})
		ringed.Panels[0].(*Heatmap).MarkLabel = ""
		a, b := renderPNG(t, plain), renderPNG(t, ringed)
		box := image.Rectangle{}
		var markPixels int
		for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
			for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
				if !sameColor(a.At(x, y), b.At(x, y)) {
					box = box.Union(image.Rect(x, y, x+1, y+1))
					if sameColor(b.At(x, y), markColor) {
						markPixels++
					}
				}
			}
		}
		if box.Empty() || markPixels == 0 {
			t.Fatalf("%d x %d: no ring drawn (%v changed, %d pixels of the mark colour)", n, n, box, markPixels)
		}
		// The middle of the ring, a quarter of its width across, is the cell's.
		ctr := image.Pt((box.Min.X+box.Max.X)/2, (box.Min.Y+box.Max.Y)/2)
		r := box.Dx() / 8
		for y := ctr.Y - r; y <= ctr.Y+r; y++ {
			for x := ctr.X - r; x <= ctr.X+r; x++ {
				if !sameColor(a.At(x, y), b.At(x, y)) {
					t.Fatalf("%d x %d: the mark covers its cell's colour at (%d, %d), %d px from the centre of a %d px ring",
						n, n, x, y, max(abs(x-ctr.X), abs(y-ctr.Y)), box.Dx())
				}
			}
		}
	}
}

func abs(x int) int { return max(x, -x) }

// barHeights measures each bar of colour cols in the picture: the pixels
// of its colour in the column through its middle, and whether a white gap
// cuts it.
func barHeights(t *testing.T, img image.Image, cols []color.Color) (heights []int, cut []bool) {
	t.Helper()
	b := img.Bounds()
	for _, c := range cols {
		// The middle column of the bar: the mean x of the pixels of its colour.
		var sum, count int
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if sameColor(img.At(x, y), c) {
					sum, count = sum+x, count+1
				}
			}
		}
		if count == 0 {
			t.Fatalf("no bar of colour %v", c)
		}
		x := sum / count
		// Cut: white between two pixels of the bar's colour (the dashed
		// reference line across it is not white).
		h, seen, gap, isCut := 0, false, false, false
		for y := b.Min.Y; y < b.Max.Y; y++ {
			switch px := img.At(x, y); {
			case sameColor(px, c):
				h++
				isCut = isCut || (seen && gap)
				seen, gap = true, false
			case sameColor(px, color.White):
				gap = seen
			}
		}
		heights, cut = append(heights, h), append(cut, isCut)
	}
	return heights, cut
}

// TestBarsStartAtZeroOrBreak: bars of perplexity either stand on zero (their
// heights in proportion to their values) or are cut by a broken-axis mark,
// never silently truncated.
func TestBarsStartAtZeroOrBreak(t *testing.T) {
	cols := []color.Color{color.NRGBA{200, 30, 30, 255}, color.NRGBA{30, 30, 200, 255}, color.NRGBA{30, 160, 30, 255}}
	for _, tc := range []struct {
		values []float64
		broken bool
	}{
		{[]float64{3.925, 4.236, 4.374}, true}, // close values: the axis breaks
		{[]float64{3.6, 3.9, 3.7}, true},
		{[]float64{1, 3, 2}, false}, // far apart: from zero
		{[]float64{12, 30, 20}, false},
	} {
		ref := tc.values[0]
		f := &Figure{Panels: []Panel{&Bars{Title: "perplexity", Names: []string{"a", "b", "c"}, Values: tc.values, Colors: cols, Ref: &ref, RefLabel: "full"}}}
		h, cut := barHeights(t, renderPNG(t, f), cols)
		for i := range h {
			if cut[i] != tc.broken {
				t.Errorf("%v: bar %d cut %v, want %v", tc.values, i, cut[i], tc.broken)
			}
		}
		if tc.broken {
			continue
		}
		// From zero: heights in proportion to the values, within 2 pixels.
		scale := float64(h[1]) / tc.values[1]
		for i, v := range tc.values {
			if d := math.Abs(float64(h[i]) - v*scale); d > 2 {
				t.Errorf("%v: bar %d is %d px high, %v px in proportion to the highest (the axis does not start at zero)", tc.values, i, h[i], v*scale)
			}
		}
	}
}

// TestBarsRange: the value axis starts at zero, or the chart says it is broken.
func TestBarsRange(t *testing.T) {
	for _, v := range [][]float64{{3.925, 4.374}, {1, 3}, {100, 101}, {0, 0}, {5, 5}, {math.NaN(), 2}, {-1, 2}} {
		b := &Bars{Values: v}
		lo, hi, broken := b.yRange()
		if !(hi > lo) || (lo != 0 && !broken && lo > 0) {
			t.Errorf("%v: axis %v to %v, broken %v", v, lo, hi, broken)
		}
		for _, x := range v {
			if !math.IsNaN(x) && (x < lo || x > hi) {
				t.Errorf("%v: %v outside the axis %v to %v", v, x, lo, hi)
			}
		}
	}
}

// TestOnePanelOneColumn: a figure of one panel is one panel wide, whatever
// Cols asks for (eval's figure asks for two).
func TestOnePanelOneColumn(t *testing.T) {
	panel := &Lines{Title: "recall", X: []float64{2, 4}, Series: []Series{{Name: "a", Y: []float64{0.5, 0.4}, Color: color.Black}}}
	w, _ := panel.size()
	img := renderPNG(t, &Figure{Cols: 2, Panels: []Panel{panel}})
	if want := int(math.Round(w.Dots(dpi))); img.Bounds().Dx() != want {
		t.Errorf("one panel in a 2-column figure is %d px wide, want %d (one panel)", img.Bounds().Dx(), want)
	}
	img = renderPNG(t, &Figure{Cols: 2, Panels: []Panel{panel, panel, panel}})
	if want := int(math.Round((2 * w).Dots(dpi))); img.Bounds().Dx() != want {
		t.Errorf("three panels in two columns: %d px wide, want %d", img.Bounds().Dx(), want)
	}
}

// TestSaveCreatesDirectories: Save creates missing parent directories as
// mkdir -p does and leaves nothing but the picture; a file in the way is
// refused by CheckPath before any work, and nothing is written.
func TestSaveCreatesDirectories(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "a", "b", "f.png")
	if err := testFigure().Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("left beside the picture: %v", ents)
	}
	file := filepath.Join(root, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	under := filepath.Join(file, "c", "f.png")
	if err := CheckPath(under); err == nil || !strings.Contains(err.Error(), file+" is not a directory") {
		t.Errorf("CheckPath under a file: %v", err)
	}
	if err := testFigure().Save(under); err == nil {
		t.Error("saved under a file")
	}
	if err := CheckPath(filepath.Join(root, "new", "f.png")); err != nil {
		t.Errorf("CheckPath in a directory to create: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "new")); err == nil {
		t.Error("CheckPath created a directory")
	}
	if err := CheckPath("f.png"); err != nil {
		t.Errorf("CheckPath of a bare name: %v", err)
	}
}
