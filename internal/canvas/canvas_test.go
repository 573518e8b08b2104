package canvas

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestTextAndPNG(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 40, 12))
	ink := color.RGBA{255, 0, 0, 255}
	Text(img, 0, 0, "l1", ink) // lower case drawn as upper case
	if TextWidth("l1") != 16 {
		t.Errorf("TextWidth = %d", TextWidth("l1"))
	}
	// 'L' is a vertical bar in its first column: pixel (0, 0) is ink, (2, 0) not.
	if img.RGBAAt(0, 0) != ink || img.RGBAAt(2*Scale, 0) == ink {
		t.Errorf("glyph L not drawn as expected")
	}
	// Nothing drawn past the text.
	if img.RGBAAt(TextWidth("l1")+1, 0) == ink {
		t.Error("ink beyond the text width")
	}
	Line(img, 0, 11, 39, 11, ink)
	path := filepath.Join(t.TempDir(), "a.png")
	if err := WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	back, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _, _ := back.At(20, 11).RGBA(); r>>8 != 255 {
		t.Error("line missing from the written PNG")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if err := WritePNG(filepath.Join(t.TempDir(), "no", "such", "dir.png"), img); err == nil {
		t.Error("writing into a missing directory should fail")
	}
}
