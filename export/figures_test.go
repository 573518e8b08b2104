package export

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/figure"
)

func TestCosine(t *testing.T) {
	cases := []struct {
		a, b []float32
		want float64
	}{
		{[]float32{1, 2, 3}, []float32{1, 2, 3}, 1},
		{[]float32{1, 2, 3}, []float32{2, 4, 6}, 1},
		{[]float32{1, 0}, []float32{0, 1}, 0},
		{[]float32{1, 1}, []float32{-1, -1}, -1},
		{[]float32{0, 0}, []float32{1, 1}, 0},
		{[]float32{0, 0}, []float32{0, 0}, 0},
		{[]float32{3, 4}, []float32{4, 3}, 24.0 / 25},
	}
	for _, c := range cases {
		if got := Cosine(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Cosine(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestEnergyShare(t *testing.T) {
	if got := EnergyShare([]float32{2, 1, 0, 0}); got != 0.8 {
		t.Errorf("got %v, want 0.8", got)
	}
	if got := EnergyShare([]float32{0, 0}); got != 0 {
		t.Errorf("zero singular values: got %v", got)
	}
}

func TestCompareShapes(t *testing.T) {
	a := sample()
	b := sample()
	b.HeadDim, b.QFilters = 2, b.QFilters[:8]
	_, err := Compare(a, b)
	var sm *ShapeMismatchError
	if !errors.As(err, &sm) || sm.A != [3]int{2, 2, 4} || sm.B != [3]int{2, 2, 2} {
		t.Fatalf("got %v", err)
	}
	c, err := Compare(a, sample())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.KV) != 4 || len(c.Query) != 8 || c.Heads != 4 {
		t.Fatalf("comparison %+v", c)
	}
	b = sample()
	b.PerQueryHead = nil
	if c, _ := Compare(a, b); c.Query != nil || c.Heads != 0 {
		t.Errorf("query cosines without per-query filters on one side")
	}
}

func TestSummarize(t *testing.T) {
	rows := []HeadFigures{
		{Layer: 0, Head: 0, Norm: ptr(0.9)},
		{Layer: 0, Head: 1, Norm: ptr(0.5)},
		{Layer: 1, Head: 0},
		{Layer: 1, Head: 1, Norm: ptr(0.7)},
	}
	s := Summarize(rows, MetricNorm, "kv", 2)
	if s.Count != 3 || math.Abs(s.Mean-0.7) > 1e-12 || s.Min != (HeadValue{0, 1, 0.5}) || s.Max != (HeadValue{0, 0, 0.9}) {
		t.Errorf("summary %+v", s)
	}
	if len(s.Weakest) != 2 || s.Weakest[0].Value != 0.5 || s.Weakest[1].Value != 0.7 {
		t.Errorf("weakest %+v", s.Weakest)
	}
	if Summarize(rows, MetricEnergyShare, "kv", 5) != nil {
		t.Error("summary of an unavailable metric")
	}
}

// TestNormPanelTitle: the norm panel calls the filters GQA means of unit
// vectors only when they are (qfilters' own: norm at most 1); a reference
// directory's filters are not (norms up to 4.7 in the kvpress fixture).
func TestNormPanelTitle(t *testing.T) {
	ref, err := Read(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	own := &Filters{Layers: 1, KVHeads: 1, Heads: 1, HeadDim: 2, QFilters: []float32{0.6, 0.8}}
	for _, c := range []struct {
		f    *Filters
		unit bool
	}{{ref, false}, {own, true}} {
		fig := ComputeFigures(c.f).Figure(c.f, "dir", 3)
		title := fig.Panels[len(fig.Panels)-1].(*figure.Heatmap).Title
		if strings.Contains(title, "unit vectors") != c.unit {
			t.Errorf("norm panel %q, unit vectors %v", title, c.unit)
		}
	}
}
