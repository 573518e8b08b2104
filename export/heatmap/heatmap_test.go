package heatmap

import (
	"math"
	"strings"
	"testing"
)

func grid() Grid {
	return Grid{Title: "t", Rows: 2, Cols: 4, Values: []float64{0, 0.5, 1, math.NaN(), -3, 7, 0.99, 0.01}, Lo: 0, Hi: 1, Group: 2}
}

func TestText(t *testing.T) {
	var b strings.Builder
	if err := Text(&b, grid(), false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if lines[2] != "L0 ▁▅ █·" || lines[3] != "L1 ▁█ █▁" {
		t.Fatalf("rows:\n%s", b.String())
	}
	if strings.Contains(b.String(), "\x1b[") {
		t.Error("escapes without colour")
	}
	b.Reset()
	Text(&b, grid(), true)
	if !strings.Contains(b.String(), "\x1b[38;5;196m▁\x1b[0m") || !strings.Contains(b.String(), "\x1b[38;5;46m█\x1b[0m") {
		t.Errorf("colour rows:\n%q", b.String())
	}
}
