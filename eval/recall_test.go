package eval

import (
	"math"
	"testing"
)

// handHead is a head of 8 keys in 2 dimensions whose query 7 is (0, 1), so
// that with scale 1 its attention logit on key j is y_j = ln w_j and its
// attention is exactly w_j / 20, w = [8 1 1 4 2 1 1 2]. The filter is (-1, 0):
// Q-Filters' keep score -(f . K) is x_j = [5 .1 .2 4 3 .3 3.5 2].
// Norms: [5.42 .1 .2 4.23 3.08 .3 3.5 2.12].
//
// Keeping 4 of 8 (x2) and 2 of 8 (x4):
//
//	oracle     {0 3 4 7} 16/20   {0 3} 12/20
//	qfilters   {0 3 6 4} 15/20   {0 3} 12/20   (highest x)
//	knorm      {1 2 5 7}  5/20   {1 2}  2/20   (lowest norm)
//	streaming  1 sink: {0 7 6 5} 12/20, {0 7} 10/20;
//	           4 sinks: {0 1 2 3} 14/20, {0 1} 9/20
func handHead() Head {
	w := []float64{8, 1, 1, 4, 2, 1, 1, 2}
	x := []float32{5, 0.1, 0.2, 4, 3, 0.3, 3.5, 2}
	h := Head{Filter: []float32{-1, 0}, Scale: 1}
	for j := range w {
		h.Keys = append(h.Keys, []float32{x[j], float32(math.Log(w[j]))})
		h.Queries = append(h.Queries, []float32{0, 1})
	}
	return h
}

func methodIndex(t *testing.T, name string) int {
	for i, m := range RecallMethods {
		if m == name {
			return i
		}
	}
	t.Fatalf("no method %s", name)
	return -1
}

func TestHeadRecallByHand(t *testing.T) {
	for _, tc := range []struct {
		sinks int
		want  map[string][2]float64
	}{
		{1, map[string][2]float64{Oracle: {0.8, 0.6}, QFilters: {0.75, 0.6}, KNorm: {0.25, 0.1}, Streaming: {0.6, 0.5}}},
		{0, map[string][2]float64{Streaming: {0.7, 0.45}}},  // 0 means the default, 4 sinks
		{-1, map[string][2]float64{Streaming: {0.3, 0.15}}}, // no sinks: {7 6 5 4}, {7 6}
	} {
		st, err := HeadRecall(handHead(), Options{Ratios: []int{2, 4, 1}, MinKeys: 8, Sinks: tc.sinks})
		if err != nil {
			t.Fatal(err)
		}
		if st.Queries != 1 {
			t.Fatalf("sinks %d: %d queries evaluated, want 1 (only query 7 sees 8 keys)", tc.sinks, st.Queries)
		}
		for m, want := range tc.want {
			got := st.Recall[methodIndex(t, m)]
			for r := range 2 {
				if math.Abs(got[r]-want[r]) > 1e-6 {
					t.Errorf("sinks %d, %s at ratio %d: recall %.6f, want %.6f", tc.sinks, m, []int{2, 4}[r], got[r], want[r])
				}
			}
		}
		for m := range RecallMethods {
			if got := st.Recall[m][2]; math.Abs(got-1) > 1e-6 {
				t.Errorf("%s keeps every key at ratio 1 but recall is %v", RecallMethods[m], got)
			}
		}
	}
}

func TestHeadRecallRandomSeeded(t *testing.T) {
	h := handHead()
	opt := Options{Ratios: []int{2}, MinKeys: 2}
	a, _ := HeadRecall(h, opt)
	b, _ := HeadRecall(h, opt)
	ri := methodIndex(t, Random)
	if a.Recall[ri][0] != b.Recall[ri][0] {
		t.Error("random recall differs between runs with the same seed")
	}
	h.Seed = 12345
	c, _ := HeadRecall(h, opt)
	if c.Recall[ri][0] == a.Recall[ri][0] {
		t.Log("note: another seed gave the same random recall")
	}
	if a.Queries != 7 {
		t.Errorf("queries with >= 2 keys: %d, want 7", a.Queries)
	}
	oi := methodIndex(t, Oracle)
	for m := range RecallMethods {
		if a.Recall[m][0] > a.Recall[oi][0]+1e-9 {
			t.Errorf("%s recall %v above the oracle's %v", RecallMethods[m], a.Recall[m][0], a.Recall[oi][0])
		}
	}
}

func TestHeadRecallWindow(t *testing.T) {
	// A sliding window of 4: query 7 sees keys 4..7 (w 2 1 1 2, sum 6) and
	// every query from 3 on sees 4 keys. With MinKeys 4 queries 3..7 count.
	h := handHead()
	h.Window = 4
	for i := range 7 {
		h.Queries[i] = []float32{0, 0} // uniform attention over 4 keys
	}
	st, err := HeadRecall(h, Options{Ratios: []int{2}, MinKeys: 4})
	if err != nil {
		t.Fatal(err)
	}
	if st.Queries != 5 {
		t.Fatalf("queries %d, want 5", st.Queries)
	}
	// Uniform queries 3..6 give 2/4 to every method; query 7: oracle keeps
	// {4 7} = 4/6, qfilters the highest x of 4..7 = {6 4} = 3/6.
	check := func(m string, want float64) {
		if got := st.Recall[methodIndex(t, m)][0]; math.Abs(got-want) > 1e-6 {
			t.Errorf("%s: recall sum %.6f, want %.6f", m, got, want)
		}
	}
	check(Oracle, 4*0.5+4.0/6)
	check(QFilters, 4*0.5+3.0/6)
}

func TestHeadRecallErrors(t *testing.T) {
	h := handHead()
	h.Queries = h.Queries[:3]
	if _, err := HeadRecall(h, Options{}); err == nil {
		t.Error("mismatched queries and keys accepted")
	}
	if _, err := HeadRecall(handHead(), Options{Ratios: []int{0}}); err == nil {
		t.Error("ratio 0 accepted")
	}
}

func TestKeep(t *testing.T) {
	for _, c := range [][3]int{{8, 2, 4}, {9, 2, 5}, {64, 32, 2}, {65, 32, 3}, {1, 32, 1}} {
		if got := Keep(c[0], c[1]); got != c[2] {
			t.Errorf("Keep(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
}

func TestScores(t *testing.T) {
	if got := QFilterScore([]float32{1, 2}, []float32{0.5, -1}); got != 1.5 {
		t.Errorf("QFilterScore = %v, want -(0.5 - 2) = 1.5", got)
	}
	if got := KNormScore([]float32{3, 4}); got != -5 {
		t.Errorf("KNormScore = %v, want -5", got)
	}
}

func TestRanksAndSpearman(t *testing.T) {
	r := Ranks([]float64{1, 2, 2, 3})
	for i, want := range []float64{1, 2.5, 2.5, 4} {
		if r[i] != want {
			t.Fatalf("Ranks = %v", r)
		}
	}
	// Ranks x [1 2.5 2.5 4], y [1 3 2 4]: sum dxdy 4.5, sum dx^2 4.5,
	// sum dy^2 5: rho = 4.5 / sqrt(22.5) = sqrt(0.9).
	if got, want := Spearman([]float64{1, 2, 2, 3}, []float64{10, 30, 20, 40}), math.Sqrt(0.9); math.Abs(got-want) > 1e-12 {
		t.Errorf("Spearman = %v, want %v", got, want)
	}
	if got := Spearman([]float64{3, 2, 1}, []float64{1, 5, 9}); math.Abs(got+1) > 1e-12 {
		t.Errorf("reversed order: %v, want -1", got)
	}
	if got := Spearman([]float64{1, 1, 1}, []float64{1, 2, 3}); !math.IsNaN(got) {
		t.Errorf("constant side: %v, want NaN", got)
	}
	if got := Spearman([]float64{1}, []float64{1}); !math.IsNaN(got) {
		t.Errorf("one value: %v, want NaN", got)
	}
}

func TestStreamingOrder(t *testing.T) {
	got := StreamingOrder(0, 7, 2)
	want := []int{0, 1, 7, 6, 5, 4, 3, 2}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("StreamingOrder = %v, want %v", got, want)
		}
	}
	if got := StreamingOrder(3, 4, 4); len(got) != 2 || got[0] != 3 || got[1] != 4 {
		t.Errorf("fewer keys than sinks: %v", got)
	}
}
