package eval

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/model"
)

// gemma3Run evaluates the tiny gemma3 fixture (layers 0 and 2 attend over a
// sliding window of 16 keys, 1 and 3 over all) on one sequence of 80 tokens.
func gemma3Run(t *testing.T, window []int) (*Report, error) {
	t.Helper()
	m, err := model.Open(fixture.Arch("gemma3"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	c := m.Config
	if window != nil {
		c.Window = window
	}
	f := &export.Filters{Layers: c.Layers, KVHeads: c.KVHeads, HeadDim: c.HeadDim, QFilters: make([]float32, c.Layers*c.KVHeads*c.HeadDim)}
	for i := range f.QFilters {
		f.QFilters[i] = float32(i%3) - 1
	}
	ids := make([]int, 80)
	for i := range ids {
		ids[i] = (i*7 + 3) % c.Vocab
	}
	return Run(m, f, [][]int{ids}, Config{})
}

// With the default ratios a query needs 64 keys: no query of a sliding
// layer (window 16) is evaluated. The mean is then over the full-attention
// layers only, and the sliding layers' rows are null, not 0/0 = NaN (which
// made every mean NaN and --json fail).
func TestRunSlidingWindowBelowMinKeys(t *testing.T) {
	rep, err := gemma3Run(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, mr := range rep.Recall {
		if mr.PerLayer[0] != nil || mr.PerLayer[2] != nil {
			t.Errorf("%s: sliding layers have recall rows %v, %v; want none", mr.Method, mr.PerLayer[0], mr.PerLayer[2])
		}
		for r := range rep.Ratios {
			want := (mr.PerLayer[1][r] + mr.PerLayer[3][r]) / 2
			if math.IsNaN(mr.Mean[r]) || math.Abs(mr.Mean[r]-want) > 1e-12 {
				t.Errorf("%s at x%d: mean %v, want %v (the two full-attention layers)", mr.Method, rep.Ratios[r], mr.Mean[r], want)
			}
		}
	}
	if rep.QueriesPerHead != 80-64+1 {
		t.Errorf("queries per head %d, want 17 (positions 63..79 of a full-attention layer)", rep.QueriesPerHead)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Errorf("report does not encode: %v", err)
	}
}

func TestRunEverySlidingWindowBelowMinKeys(t *testing.T) {
	_, err := gemma3Run(t, []int{16, 16, 16, 16})
	if err == nil || !strings.Contains(err.Error(), "at most 16 keys, fewer than the 64") {
		t.Fatalf("err = %v, want one naming the 64 keys a query needs", err)
	}
}
