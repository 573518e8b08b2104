package eval

import (
	"math"
	"slices"
	"testing"
)

// contextFixture: d = 2, C = 16 context keys, 4 continuation tokens. All
// queries point along e1; context key 9 is the only one with a large e1
// component (and the largest norm), so it takes nearly all of the
// continuation's attention to the context.
func contextFixture() ContextGroup {
	const seq, C = 20, 16
	keys := make([][]float32, seq)
	values := make([][]float32, seq)
	for j := range keys {
		keys[j] = []float32{0, float32(j%3) * 0.1}
		values[j] = []float32{1, 0}
	}
	keys[9] = []float32{8, 0}
	for j := C; j < seq; j++ {
		keys[j] = []float32{-8, 0} // the continuation's own keys draw nothing
	}
	qs := make([][]float32, seq)
	for i := range qs {
		qs[i] = []float32{2, 0}
	}
	return ContextGroup{Queries: [][][]float32{qs, qs}, Keys: keys, Values: values,
		Filter: []float32{-1, 0}, Scale: 1, Seed: 7}
}

func recallOf(t *testing.T, st *ContextStats, method string, r int) float64 {
	t.Helper()
	m := slices.Index(ContextMethods, method)
	return st.Recall[m][r] / float64(st.Queries)
}

func TestContextRecallKnownKeys(t *testing.T) {
	g := contextFixture()
	st, err := ContextRecall(g, ContextOptions{Context: 16, Ratios: []int{1, 16}, Window: 4, Kernel: 1})
	if err != nil {
		t.Fatal(err)
	}
	if st.Queries != 2*4 {
		t.Fatalf("queries %d, want 8 (2 heads x 4 continuation tokens)", st.Queries)
	}
	for _, m := range []string{Oracle, QFilters, KNorm, Streaming, Random, SnapKV} {
		if v := recallOf(t, st, m, 0); math.Abs(v-1) > 1e-12 {
			t.Errorf("%s keeps everything at x1 but recall is %v", m, v)
		}
	}
	// x16 keeps one key: key 9 for the oracle and Q-Filters (-(f.k) = k1).
	for _, m := range []string{Oracle, QFilters} {
		if v := recallOf(t, st, m, 1); v < 0.999 {
			t.Errorf("%s at x16: recall %v, want ~1 (key 9)", m, v)
		}
	}
	// K-norm keeps a zero key, Streaming-LLM the first sink.
	for _, m := range []string{KNorm, Streaming} {
		if v := recallOf(t, st, m, 1); v > 0.01 {
			t.Errorf("%s at x16: recall %v, want ~0", m, v)
		}
	}
	// Expected attention was given no statistics: nothing accumulated.
	if v := recallOf(t, st, ExpectedAttention, 1); v != 0 {
		t.Errorf("expected_attention without statistics: %v", v)
	}
}

func TestContextRecallExpectedAttention(t *testing.T) {
	g := contextFixture()
	// Queries expected along e1 pick key 9; along -e1 they pick the keys
	// with the smallest e1 component, all zero, never key 9.
	for _, c := range []struct {
		mean float64
		want func(float64) bool
	}{
		{3, func(v float64) bool { return v > 0.999 }},
		{-3, func(v float64) bool { return v < 0.01 }},
	} {
		g.ExpMean = [][]float64{{c.mean, 0}, {c.mean, 0}}
		g.ExpCov = [][]float64{{0.1, 0, 0, 0.1}, {0.1, 0, 0, 0.1}}
		st, err := ContextRecall(g, ContextOptions{Context: 16, Ratios: []int{16}, Sinks: -1})
		if err != nil {
			t.Fatal(err)
		}
		if v := recallOf(t, st, ExpectedAttention, 0); !c.want(v) {
			t.Errorf("mean %v: expected_attention recall at x16 = %v", c.mean, v)
		}
	}
	// The sinks are kept first: at x4 (4 keys) they are all that is kept.
	g.ExpMean = [][]float64{{3, 0}, {3, 0}}
	st, err := ContextRecall(g, ContextOptions{Context: 16, Ratios: []int{4}})
	if err != nil {
		t.Fatal(err)
	}
	if v := recallOf(t, st, ExpectedAttention, 0); v > 0.01 {
		t.Errorf("sinks first: recall at x4 = %v, want ~0", v)
	}
	// Value norms weigh the score: key 9 with a zero value is dropped.
	g.Values[9] = []float32{0, 0}
	st, err = ContextRecall(g, ContextOptions{Context: 16, Ratios: []int{16}, Sinks: -1})
	if err != nil {
		t.Fatal(err)
	}
	if v := recallOf(t, st, ExpectedAttention, 0); v > 0.01 {
		t.Errorf("zero value norm: recall at x16 = %v, want ~0", v)
	}
}

func TestSnapOrder(t *testing.T) {
	g := contextFixture()
	// Window 4 (context keys 12..15): the window queries attend to key 9 only.
	if got := snapOrder(g, 16, 4, 1)[:5]; !slices.Equal(got, []int{15, 14, 13, 12, 9}) {
		t.Errorf("kernel 1: order starts %v, want the window then key 9", got)
	}
	// A pool of width 5 spreads key 9's score over keys 7..11 equally.
	got := snapOrder(g, 16, 4, 5)[4:9]
	slices.Sort(got)
	if !slices.Equal(got, []int{7, 8, 9, 10, 11}) {
		t.Errorf("kernel 5: after the window %v, want keys 7..11", got)
	}
}

func TestAverageRotation(t *testing.T) {
	// d = 4, rotary 2 (pairs 0 with 1; 2 and 3 stay), two positions at
	// angles 0 and π/2: the mean rotation is [[.5, -.5], [.5, .5]].
	cos := []float32{1, 0}
	sin := []float32{0, 1}
	R := AverageRotation(4, 2, cos, sin)
	want := []float64{
		0.5, -0.5, 0, 0,
		0.5, 0.5, 0, 0,
		0, 0, 1, 0,
		0, 0, 0, 1,
	}
	for i := range want {
		if math.Abs(R[i]-want[i]) > 1e-7 {
			t.Fatalf("R = %v, want %v", R, want)
		}
	}
	mu, cov := Rotate(R, []float32{1, 0, 2, 0}, []float32{
		1, 0, 0, 0,
		0, 0, 0, 0,
		0, 0, 1, 0,
		0, 0, 0, 1,
	}, 4)
	if !slices.Equal(mu, []float64{0.5, 0.5, 2, 0}) {
		t.Errorf("R mu = %v", mu)
	}
	// R diag(1,0,1,1) Rᵀ: the first column of R times itself.
	wantCov := []float64{0.25, 0.25, 0, 0, 0.25, 0.25, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}
	if !slices.Equal(cov, wantCov) {
		t.Errorf("R cov Rᵀ = %v", cov)
	}
}

func TestContextRecallBadContext(t *testing.T) {
	g := contextFixture()
	for _, C := range []int{1, 20, 25} {
		if _, err := ContextRecall(g, ContextOptions{Context: C}); err == nil {
			t.Errorf("context %d of 20 tokens accepted", C)
		}
	}
}

// The context oracle must be the best set of kept keys for the measure it
// bounds: the mean over queries of the share of each query's context
// attention that is kept. Ranking keys by raw summed attention is not:
// here query 2 gives 0.1 of its attention to the context, all on key 0,
// and query 3 gives all of it, 0.3 to key 0 and 0.7 to key 1. Keeping one
// key (x2), key 1 has the most raw attention (0.7 against 0.4) but key 0
// the best recall: (1 + 0.3)/2 = 0.65 against (0 + 0.7)/2 = 0.35.
// Streaming-LLM (key 0 is a sink) reached 0.65, above the "upper bound".
func TestContextOracleIsTheBound(t *testing.T) {
	keys := [][]float32{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 1}}
	ln := func(x float64) float32 { return float32(math.Log(x)) }
	qs := [][]float32{{0, 0, 0}, {0, 0, 0}, {ln(1), ln(1e-12), ln(9)}, {ln(3), ln(7), -60}}
	g := ContextGroup{Queries: [][][]float32{qs}, Keys: keys, Filter: []float32{0, 0, 1}, Scale: 1}
	st, err := ContextRecall(g, ContextOptions{Context: 2, Ratios: []int{2}})
	if err != nil {
		t.Fatal(err)
	}
	if v := recallOf(t, st, Oracle, 0); math.Abs(v-0.65) > 1e-6 {
		t.Errorf("oracle at x2: recall %.6f, want 0.65 (keep key 0)", v)
	}
	for _, m := range ContextMethods {
		if v, o := recallOf(t, st, m, 0), recallOf(t, st, Oracle, 0); v > o+1e-12 {
			t.Errorf("%s at x2: recall %.6f above the oracle's %.6f", m, v, o)
		}
	}
}

// TestContextKeepsKVPressCount: each method keeps the number of context
// keys kvpress's ScorerPress keeps, n_kept = int(C * (1 - compression_ratio))
// with compression_ratio = 1 - 1/r in float64 (the table is Python's), not
// ceil(C/r): with uniform attention every method's recall is n_kept/C.
func TestContextKeepsKVPressCount(t *testing.T) {
	for _, c := range []struct{ n, r, want int }{
		{100, 8, 12}, {99, 3, 32}, {750, 4, 187}, {750, 32, 23}, {192, 32, 6},
		{20, 32, 0}, {10, 1, 10}, {7, 7, 0}, {1000, 6, 166}, {49, 7, 6},
	} {
		if got := KeepKVPress(c.n, c.r); got != c.want {
			t.Errorf("KeepKVPress(%d, %d) = %d, want %d (kvpress's int(n*(1-ratio)))", c.n, c.r, got, c.want)
		}
	}
	const seq, C = 110, 100
	keys := make([][]float32, seq)
	values := make([][]float32, seq)
	qs := make([][]float32, seq)
	for j := range keys {
		keys[j] = []float32{float32(j%7) * 0.1, float32(j%5) * 0.1}
		values[j] = []float32{1, float32(j % 3)}
		qs[j] = []float32{0, 0} // uniform attention over the causal keys
	}
	g := ContextGroup{Queries: [][][]float32{qs}, Keys: keys, Values: values, Filter: []float32{1, -1}, Scale: 1, Seed: 3,
		ExpMean: [][]float64{{0.5, -0.2}}, ExpCov: [][]float64{{0.1, 0, 0, 0.1}}}
	ratios := []int{8, 3, 32}
	st, err := ContextRecall(g, ContextOptions{Context: C, Ratios: ratios, Window: 16})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ContextMethods {
		for r, ratio := range ratios {
			want := float64(KeepKVPress(C, ratio)) / C
			if v := recallOf(t, st, m, r); math.Abs(v-want) > 1e-12 {
				t.Errorf("%s at x%d: recall %.6f, want %.6f (%d of %d keys kept)", m, ratio, v, want, KeepKVPress(C, ratio), C)
			}
		}
	}
}
