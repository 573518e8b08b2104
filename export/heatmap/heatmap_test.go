package heatmap

import (
	"fmt"
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

// TestRulerNumbersColumns: the header numbers every column, its digits read
// downwards above the column's cells (group gaps included), the units line
// labelled H as the rows are labelled L.
func TestRulerNumbersColumns(t *testing.T) {
	for _, tc := range []struct{ rows, cols, group int }{{2, 4, 2}, {2, 12, 4}, {12, 32, 4}, {3, 130, 8}, {1, 1, 0}, {5, 10, 0}} {
		g := Grid{Title: "t", Rows: tc.rows, Cols: tc.cols, Values: make([]float64, tc.rows*tc.cols), Lo: 0, Hi: 1, Group: tc.group}
		var b strings.Builder
		if err := Text(&b, g, false); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(b.String(), "\n")
		digits := len(fmt.Sprint(tc.cols - 1))
		ruler, row := lines[1:1+digits], []rune(lines[1+digits])
		lw := len(fmt.Sprint(tc.rows - 1))
		if want := fmt.Sprintf("%*s ", lw+1, "H"); !strings.HasPrefix(ruler[digits-1], want) {
			t.Errorf("%d columns: units line %q does not start with %q", tc.cols, ruler[digits-1], want)
		}
		if !strings.HasPrefix(string(row), fmt.Sprintf("L%0*d ", lw, 0)) {
			t.Fatalf("%d columns: first row %q", tc.cols, string(row))
		}
		// The cells of the first row, at their rune positions.
		col := 0
		for i, r := range row {
			if i < lw+2 || r == ' ' {
				continue
			}
			num := ""
			for _, l := range ruler {
				if lr := []rune(l); i < len(lr) && lr[i] != ' ' {
					num += string(lr[i])
				}
			}
			if num != fmt.Sprint(col) {
				t.Errorf("%d columns: column %d is numbered %q\n%s", tc.cols, col, num, b.String())
			}
			col++
		}
		if col != tc.cols {
			t.Errorf("%d columns: %d cells in the first row", tc.cols, col)
		}
	}
}
