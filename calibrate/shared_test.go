package calibrate

import (
	"testing"

	"github.com/qfilters/qfilters/eval"
	"github.com/qfilters/qfilters/model"
)

// TestSharedFilterKeepsReadersAttention compares, on the layers that read
// another layer's cache (the tiny Gemma 4: layers 4 and 5 read 3 and 2), the
// attention recall of the filter solved from the queries of every layer
// reading the cache (what calibration writes) with that of a filter solved
// from the owner's queries alone, on held-out sequences: the shared filter
// keeps more of the readers' attention.
func TestSharedFilterKeepsReadersAttention(t *testing.T) {
	m, err := model.Open(archDir(t, "gemma4_text"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := m.Config
	calib := randomSeqs(8, 64, c.Vocab)
	held := randomSeqs(12, 64, c.Vocab)[8:]
	shared, err := Run(m, calib, Options{Sign: SignVote})
	if err != nil {
		t.Fatal(err)
	}
	// The owner's queries alone: its own filter before the readers joined.
	ownerOnly := map[int][]float32{}
	sh := shapesOf(c)
	for _, o := range []int{2, 3} {
		d := c.HeadDimOf(o)
		var rows []float32
		for _, ids := range calib {
			if _, err := m.Forward(ids, func(l int, q, _ []float32) {
				if l == o {
					rows = append(rows, sh.pad(q, d)...)
				}
			}); err != nil {
				t.Fatal(err)
			}
		}
		r := newResultFor(c)
		heads, err := solveRows(rows, len(rows)/(c.Heads*sh.maxD), c.Heads, sh.maxD, SignVote)
		if err != nil {
			t.Fatal(err)
		}
		r.store(o, heads)
		ownerOnly[o] = r.QFilters
	}
	recall := func(filters []float32, l int) float64 {
		var sum float64
		var n int
		d, G, H := c.HeadDimOf(l), c.KVHeadsOf(l), c.Heads
		o := c.CacheOwner(l)
		for s, ids := range held {
			var qs, ks []float32
			if _, err := m.Forward(ids, func(x int, q, k []float32) {
				if x == l {
					qs, ks = q, k
				}
			}); err != nil {
				t.Fatal(err)
			}
			for h := range H {
				g := h / (H / G)
				f := filters[(o*sh.maxKV+g)*sh.maxD : (o*sh.maxKV+g)*sh.maxD+d]
				st, err := eval.HeadRecall(eval.Head{Queries: rows(qs, H, h, d), Keys: rows(ks, G, g, d), Filter: f,
					Scale: 1, Window: c.Window[l], Seed: uint64(s)}, eval.Options{Ratios: []int{2}})
				if err != nil {
					t.Fatal(err)
				}
				sum += st.Recall[1][0] // RecallMethods[1] is qfilters
				n += st.Queries
			}
		}
		return sum / float64(n)
	}
	for _, l := range []int{4, 5} {
		o := c.CacheOwner(l)
		a, b := recall(shared.QFilters, l), recall(ownerOnly[o], l)
		t.Logf("layer %d (reads layer %d's cache): recall at x2 with the shared filter %.4f, with the owner's alone %.4f", l, o, a, b)
		if a <= b {
			t.Errorf("layer %d: the shared filter keeps %.4f of the attention, the owner's alone %.4f", l, a, b)
		}
	}
}

func rows(x []float32, heads, h, d int) [][]float32 {
	n := len(x) / (heads * d)
	out := make([][]float32, n)
	for i := range out {
		out[i] = x[(i*heads+h)*d : (i*heads+h+1)*d]
	}
	return out
}
