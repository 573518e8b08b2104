// Package figure draws the pictures qfilters puts in reports (heat maps of
// per-head figures, recall curves, perplexity bars) with gonum/plot and its
// embedded fonts, as PNG or SVG chosen by the file's extension. Output is
// deterministic (the same panels give the same bytes) and written atomically.
package figure

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/qfilters/qfilters/internal/atomicfile"
)

// Panel is one plot of a figure.
type Panel interface {
	// size is the panel's preferred width and height.
	size() (w, h vg.Length)
	// draw renders the panel into c.
	draw(c draw.Canvas) error
}

// Figure is a title above panels stacked in a grid of Cols columns.
type Figure struct {
	Title  string
	Panels []Panel
	Cols   int // 0 or 1: one column
}

// titleHeight is the band the figure's title takes.
const titleHeight = 0.45 * vg.Inch

// dpi of PNG output: figures read well at 100% on ordinary screens.
const dpi = 110

// Formats lists the file extensions Save understands.
var Formats = []string{".png", ".svg"}

// CheckPath reports, before any work, a path whose extension Save cannot
// write, that is a directory, or whose directory Save cannot create (a file
// stands in its way).
func CheckPath(path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	if !slices.Contains(Formats, ext) {
		return fmt.Errorf("%s: the picture's format comes from its extension: %s", path, strings.Join(Formats, " or "))
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory: name the picture's file", path)
	}
	// The nearest existing ancestor must be a directory.
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		if st, err := os.Stat(dir); err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%s: %s is not a directory", path, dir)
			}
			return nil
		}
		if filepath.Dir(dir) == dir {
			return nil // Save reports what it meets
		}
	}
}

// titleStyle is the figure title's face.
func titleStyle() text.Style {
	return text.Style{Font: font.From(plot.DefaultFont, 13), Handler: plot.DefaultTextHandler, XAlign: draw.XCenter, YAlign: draw.YTop, Color: black}
}

// layout returns the grid's column count, cell size and whole size, and the
// title wrapped to the figure's width with the band it takes. A figure of
// fewer panels than Cols takes only the columns it fills.
func (f *Figure) layout() (cols, rows int, cw, ch, w, h vg.Length, title string, band vg.Length) {
	cols = max(min(f.Cols, len(f.Panels)), 1)
	rows = (len(f.Panels) + cols - 1) / cols
	for _, p := range f.Panels {
		pw, ph := p.size()
		cw, ch = max(cw, pw), max(ch, ph)
	}
	w = vg.Length(cols) * cw
	st := titleStyle()
	title = wrapText(st, f.Title, w-0.2*vg.Inch)
	band = titleHeight + st.Height(title) - st.Height("X") // each line past the first widens it
	return cols, rows, cw, ch, w, vg.Length(rows)*ch + band, title, band
}

// Render draws the figure in the format of ext (".png" or ".svg").
func (f *Figure) Render(ext string) ([]byte, error) {
	if len(f.Panels) == 0 {
		return nil, fmt.Errorf("figure %q has no panels", f.Title)
	}
	cols, _, cw, ch, w, h, titleText, band := f.layout()
	var canvas vg.CanvasWriterTo
	switch strings.ToLower(ext) {
	case ".png":
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))}
	case ".svg":
		canvas = vgsvg.New(w, h)
	default:
		return nil, fmt.Errorf("unsupported picture format %q: %s", ext, strings.Join(Formats, " or "))
	}
	dc := draw.New(canvas)
	dc.SetColor(white)
	dc.Fill(dc.Rectangle.Path())
	dc.FillText(titleStyle(), vg.Point{X: w / 2, Y: h - 0.12*vg.Inch}, titleText)
	for i, p := range f.Panels {
		r, c := i/cols, i%cols
		top := h - band - vg.Length(r)*ch
		cell := draw.Crop(dc, vg.Length(c)*cw, vg.Length(c+1)*cw-w, top-ch, top-h)
		if err := p.draw(cell); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save writes the figure to path (PNG or SVG by extension) atomically: a
// temporary file beside it, renamed into place. Missing parent directories
// are created, as mkdir -p would (and as --out's are), once the figure has
// been drawn.
func (f *Figure) Save(path string) error {
	if err := CheckPath(path); err != nil {
		return err
	}
	data, err := f.Render(filepath.Ext(path))
	if err != nil {
		return err
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return fmt.Errorf("creating its directory %s: %w", dir, err)
		}
	}
	// Errors leave the path to the caller ("writing PATH: ...").
	return atomicfile.Write(path, func(w io.Writer) error { _, err := w.Write(data); return err })
}
