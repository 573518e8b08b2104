package eval

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomHead is a head of seq random keys and queries; with dup, keys repeat
// (ties in every static score).
func randomHead(seed uint64, seq, d int, dup bool) Head {
	rng := rand.New(rand.NewPCG(seed, 1))
	vec := func() []float32 {
		v := make([]float32, d)
		for t := range v {
			v[t] = float32(rng.NormFloat64())
		}
		return v
	}
	h := Head{Filter: vec(), Scale: 1 / math.Sqrt(float64(d)), Seed: seed}
	for j := range seq {
		k := vec()
		if dup && j%3 == 2 {
			k = h.Keys[j-2]
		}
		h.Keys = append(h.Keys, k)
		h.Queries = append(h.Queries, vec())
	}
	return h
}

// TestHeadRecallMatchesReference: the fast recall gives the figures of the
// per-query stable sorts it replaced, to float64 rounding (1e-12 relative:
// the dot products are vector sums, the oracle's top keys are summed in
// another order), on heads with ties, sliding windows, soft-capping and
// unsorted, repeated ratios.
func TestHeadRecallMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name    string
		seq     int
		dup     bool
		window  int
		softcap float64
		opt     Options
	}{
		{"defaults", 300, false, 0, 0, Options{}},
		{"ties", 200, true, 0, 0, Options{Ratios: []int{8, 2, 2, 3, 1}, MinKeys: 4}},
		{"window", 250, false, 40, 0, Options{Ratios: []int{2, 4, 8}, Sinks: -1}},
		{"softcap", 150, true, 0, 3, Options{Ratios: []int{4, 16}, Sinks: 7, MinKeys: 1}},
		{"window below sinks", 120, false, 3, 0, Options{Ratios: []int{1, 2}, MinKeys: 2}},
		{"learned sink", 180, false, 30, 0, Options{Ratios: []int{1, 4}, MinKeys: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := randomHead(uint64(tc.seq), tc.seq, 16, tc.dup)
			h.Window, h.Softcap = tc.window, tc.softcap
			if tc.name == "learned sink" { // gpt-oss: a sink logit in every softmax
				h.Sink, h.HasSink = 1.5, true
			}
			got, err := HeadRecall(h, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			want, err := refHeadRecall(h, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if got.Queries != want.Queries || got.Queries == 0 {
				t.Fatalf("%d queries, want %d", got.Queries, want.Queries)
			}
			for m, method := range RecallMethods {
				for r := range got.Recall[m] {
					g, w := got.Recall[m][r], want.Recall[m][r]
					if math.Abs(g-w) > 1e-12*math.Abs(w) {
						t.Errorf("%s ratio #%d: %.17g, want %.17g", method, r, g, w)
					}
				}
			}
			for m := range got.Spearman {
				if g, w := got.Spearman[m], want.Spearman[m]; math.Abs(g-w) > 1e-12 || math.IsNaN(g) != math.IsNaN(w) {
					t.Errorf("spearman %s: %v, want %v", ScoreMethods[m], g, w)
				}
			}
		})
	}
}

func TestSelectTop(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 1; n < 60; n++ {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(rng.IntN(5)) // many ties
			if n%2 == 0 {
				v[i] = rng.Float64()
			}
		}
		for k := 0; k <= n; k++ {
			w := append([]float64(nil), v...)
			selectTop(w, k)
			minTop := math.Inf(1)
			for _, x := range w[:k] {
				minTop = min(minTop, x)
			}
			for _, x := range w[k:] {
				if x > minTop {
					t.Fatalf("n %d k %d: %v left out, top holds %v", n, k, x, minTop)
				}
			}
		}
	}
}

// TestContextRecallMatchesReference: the context recall summed from each
// key's received share equals the per-row sums it replaced (within 1e-12),
// with sliding windows, soft-capping and tied keys.
func TestContextRecallMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name           string
		seq, C, window int
		softcap        float64
		dup            bool
		opt            ContextOptions
	}{
		{"defaults", 200, 150, 0, 0, false, ContextOptions{}},
		{"ties softcap", 120, 60, 0, 2, true, ContextOptions{Ratios: []int{3, 1, 8}, Sinks: -1, Window: 10, Kernel: 3}},
		{"window", 160, 100, 30, 0, false, ContextOptions{Ratios: []int{2, 4}}},
		{"learned sinks", 160, 100, 0, 0, false, ContextOptions{Ratios: []int{2, 4}, Window: 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var g ContextGroup
			for h := range 3 {
				hd := randomHead(uint64(tc.seq+h), tc.seq, 8, tc.dup)
				if h == 0 {
					g = ContextGroup{Keys: hd.Keys, Filter: hd.Filter, Scale: hd.Scale, Softcap: tc.softcap, Window: tc.window, Seed: 9}
				}
				g.Queries = append(g.Queries, hd.Queries)
			}
			if tc.name == "learned sinks" { // gpt-oss: one sink logit per query head
				g.Sinks = []float64{2, -1, 0.5}
			}
			opt := tc.opt
			opt.Context = tc.C
			got, err := ContextRecall(g, opt)
			if err != nil {
				t.Fatal(err)
			}
			want, err := refContextRecall(g, opt)
			if err != nil {
				t.Fatal(err)
			}
			if got.Queries != want.Queries || got.Queries == 0 {
				t.Fatalf("%d queries, want %d", got.Queries, want.Queries)
			}
			for m, method := range ContextMethods {
				for r := range got.Recall[m] {
					if g, w := got.Recall[m][r], want.Recall[m][r]; math.Abs(g-w) > 1e-12*math.Abs(w) {
						t.Errorf("%s ratio #%d: %.17g, want %.17g", method, r, g, w)
					}
				}
			}
		})
	}
}

// TestTopSums: the bucketed top-k sums equal sorting's on values with ties,
// zeros, tiny values far below the largest (the shared last bucket) and
// unsorted, repeated keeps.
func TestTopSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var ts topSelector
	for trial := range 300 {
		n := 1 + rng.IntN(400)
		if trial%5 == 0 {
			n = 1000 + rng.IntN(3000)
		}
		v := make([]float64, n)
		for i := range v {
			switch trial % 4 {
			case 0:
				v[i] = rng.Float64()
			case 1:
				v[i] = float64(rng.IntN(4)) / 8 // ties and zeros
			case 2:
				v[i] = math.Exp(-rng.Float64() * 300) // spans 2^-430..1
			default:
				v[i] = 1 + rng.Float64()*1e-3 // one bucket
				if trial%3 == 0 {
					v[i] = 1 + float64(rng.IntN(50))*1e-12 // one bucket, two digits deep, ties
				}
			}
		}
		keep := []int{Keep(n, 2), Keep(n, 8), Keep(n, 2), Keep(n, 1), Keep(n, 5)}
		byKeep := []int{3, 0, 2, 4, 1}
		got := make([]float64, len(keep))
		orig := append([]float64(nil), v...)
		ts.topSums(v, keep, byKeep, got)
		if !slices.Equal(v, orig) {
			t.Fatal("topSums changed its input")
		}
		sorted := append([]float64(nil), v...)
		slices.Sort(sorted)
		slices.Reverse(sorted)
		for r, k := range keep {
			var want float64
			for _, x := range sorted[:k] {
				want += x
			}
			if math.Abs(got[r]-want) > 1e-13*want {
				t.Fatalf("trial %d n %d keep %d: %.17g, want %.17g", trial, n, k, got[r], want)
			}
		}
	}
}
