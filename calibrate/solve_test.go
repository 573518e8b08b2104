package calibrate

import (
	"math"
	"testing"
)

func TestSamplePositions(t *testing.T) {
	a := samplePositions(42, 3, 10000, 3000)
	b := samplePositions(42, 3, 10000, 3000)
	c := samplePositions(42, 4, 10000, 3000)
	if len(a) != 3000 {
		t.Fatalf("got %d positions", len(a))
	}
	same := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed and layer gave different positions")
		}
		if i > 0 && a[i] <= a[i-1] {
			t.Fatalf("positions not strictly increasing at %d: %d, %d", i, a[i-1], a[i])
		}
		if a[i] < 0 || a[i] >= 10000 {
			t.Fatalf("position %d out of range", a[i])
		}
		if a[i] == c[i] {
			same++
		}
	}
	if same == len(a) {
		t.Error("layers 3 and 4 got the same positions")
	}
	if all := samplePositions(1, 0, 5, 0); len(all) != 5 || all[4] != 4 {
		t.Errorf("samples <= 0 should select all: %v", all)
	}
	if all := samplePositions(1, 0, 5, 99); len(all) != 5 {
		t.Errorf("samples >= n should select all: %v", all)
	}
}

// TestSolveHeadKnown builds samples along a known axis u with most of them
// projecting negatively on u, so the vote keeps -u and the stored filter is
// +u; the mean rule decides by the sum instead.
func TestSolveHeadKnown(t *testing.T) {
	const d = 4
	u := []float64{0.6, 0.8, 0, 0}
	// 7 rows at -3u and 3 rows at +9u, plus small orthogonal noise: the
	// vote says -u (7 of 10), the mean says +u (-21 + 27 > 0).
	var x []float32
	add := func(scale float64, n int, noise float64) {
		for i := 0; i < n; i++ {
			row := make([]float32, d)
			for j := range row {
				row[j] = float32(scale * u[j])
			}
			row[2] = float32(noise * float64(i%2*2-1))
			x = append(x, row...)
		}
	}
	add(-3, 7, 0.01)
	add(9, 3, 0.01)
	n := len(x) / d
	st := newHeadStats(d)
	st.add(x, n, d, 0)
	rows := headRows{x: x, n: n, stride: d, off: 0, d: d}

	vote, err := solveHead(st, SignVote, rows)
	if err != nil {
		t.Fatal(err)
	}
	// Kept direction -u (7 of 10 samples positive on it); stored filter is its negation, +u.
	if c := dot(vote.filter, u); c < 0.9999 {
		t.Errorf("vote filter·u = %.6f, want ~1", c)
	}
	if math.Abs(vote.agreement-0.7) > 1e-12 {
		t.Errorf("vote agreement %v, want 0.7", vote.agreement)
	}
	mean, err := solveHead(st, SignMean, rows)
	if err != nil {
		t.Fatal(err)
	}
	if c := dot(mean.filter, u); c > -0.9999 {
		t.Errorf("mean filter·u = %.6f, want ~-1", c)
	}
	if math.Abs(mean.agreement-0.3) > 1e-12 {
		t.Errorf("mean agreement %v, want 0.3", mean.agreement)
	}
	// σ1² is the sum of squared projections: 7·9 + 3·81 = 306.
	if s1 := vote.singular[0]; math.Abs(s1*s1-306) > 0.01 {
		t.Errorf("σ1² = %v, want ≈306", s1*s1)
	}
	if _, err := solveHead(newHeadStats(d), SignVote, rows); err == nil {
		t.Error("empty statistics should fail")
	}
	if _, err := solveHead(st, SignVote, nil); err == nil {
		t.Error("vote without samples should fail")
	}
}
