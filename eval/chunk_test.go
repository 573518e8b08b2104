package eval

import (
	"math"
	"testing"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/model"
)

func TestWindowStartChunk(t *testing.T) {
	for _, tc := range []struct{ i, window, chunk, want int }{
		{5, 0, 0, 0}, {5, 4, 0, 2}, {5, 0, 4, 4}, {3, 0, 4, 0}, {8, 0, 4, 8},
		{9, 3, 4, 8}, {11, 2, 4, 10}, // the tighter of window and chunk
	} {
		if got := windowStart(tc.i, tc.window, tc.chunk); got != tc.want {
			t.Errorf("windowStart(%d, window %d, chunk %d) = %d, want %d", tc.i, tc.window, tc.chunk, got, tc.want)
		}
	}
}

func TestHeadRecallChunk(t *testing.T) {
	// Chunks of 4: query 3 sees keys 0..3, query 7 keys 4..7, the others
	// fewer than MinKeys 4. Query 3 is uniform (2/4 for every method);
	// query 7 sees weights 2 1 1 2: the oracle keeps {4 7} = 4/6, qfilters
	// the highest x of 4..7 = {6 4} = 3/6.
	h := handHead()
	h.Chunk = 4
	for i := range 7 {
		h.Queries[i] = []float32{0, 0}
	}
	st, err := HeadRecall(h, Options{Ratios: []int{2}, MinKeys: 4})
	if err != nil {
		t.Fatal(err)
	}
	if st.Queries != 2 {
		t.Fatalf("queries %d, want 2", st.Queries)
	}
	for m, want := range map[string]float64{Oracle: 0.5 + 4.0/6, QFilters: 0.5 + 3.0/6} {
		if got := st.Recall[methodIndex(t, m)][0]; math.Abs(got-want) > 1e-6 {
			t.Errorf("%s: recall sum %.6f, want %.6f", m, got, want)
		}
	}
}

// TestRunChunkedLayers: on the Llama 4 fixture, layers 0 and 2 attend in
// chunks of 16, fewer keys than the 64 a query needs at the default ratios:
// they are left out as too-narrow sliding windows are, and the mean is over
// the full-attention (NoPE) layers 1 and 3.
func TestRunChunkedLayers(t *testing.T) {
	m, err := model.Open(fixture.Arch("llama4_text"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := m.Config
	f := &export.Filters{Layers: c.Layers, KVHeads: c.KVHeads, HeadDim: c.HeadDim, QFilters: make([]float32, c.Layers*c.KVHeads*c.HeadDim)}
	for i := range f.QFilters {
		f.QFilters[i] = float32(i%3) - 1
	}
	ids := make([]int, 80)
	for i := range ids {
		ids[i] = (i*7 + 3) % c.Vocab
	}
	rep, err := Run(m, f, [][]int{ids}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, mr := range rep.Recall {
		if mr.PerLayer[0] != nil || mr.PerLayer[2] != nil || mr.PerLayer[1] == nil || mr.PerLayer[3] == nil {
			t.Fatalf("%s: per-layer rows %v; want rows for layers 1 and 3 only", mr.Method, mr.PerLayer)
		}
	}
	if rep.QueriesPerHead != 80-64+1 {
		t.Errorf("queries per head %d, want 17", rep.QueriesPerHead)
	}
	// The context view over chunks: continuation queries past the
	// context's last chunk see none of it and are left out, not 0/0.
	rep, err = Run(m, f, [][]int{ids}, Config{ContextLen: 40})
	if err != nil {
		t.Fatal(err)
	}
	for method, v := range rep.ContextRecall.Methods {
		for r, x := range v {
			if math.IsNaN(x) || x < 0 || x > 1+1e-9 {
				t.Errorf("context recall of %s at x%d = %v", method, rep.ContextRecall.Ratios[r], x)
			}
		}
	}
}
