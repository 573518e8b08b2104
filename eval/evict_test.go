package eval

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/model"
)

// appendEntry adds token pos to the single head of c, its key carrying the
// score in its first dimension.
func appendEntry(c *model.KVCache, pos int, score float64) {
	hc := &c.Layers[0][0]
	hc.Keys = append(hc.Keys, []float32{float32(score)})
	hc.Values = append(hc.Values, []float32{0})
	hc.Pos = append(hc.Pos, pos)
}

func oneHeadCache() *model.KVCache {
	return &model.KVCache{Layers: [][]model.HeadCache{make([]model.HeadCache, 1)}}
}

// runEviction appends tokens 0..len(scores)-1 one at a time, compressing
// after each, and returns the positions evicted at each step and the final
// cache positions.
func runEviction(t *testing.T, ev *Evictor, scores []float64) ([][]int, []int) {
	t.Helper()
	if err := ev.Check(); err != nil {
		t.Fatal(err)
	}
	c := oneHeadCache()
	var steps [][]int
	for pos, s := range scores {
		appendEntry(c, pos, s)
		steps = append(steps, ev.Compress(c)[0][0])
		if n := len(c.Layers[0][0].Keys); n > ev.Size {
			t.Fatalf("step %d: %d entries, size %d", pos, n, ev.Size)
		}
	}
	return steps, c.Layers[0][0].Pos
}

func firstDim(l, g, pos int, key []float32) float64 { return float64(key[0]) }

func TestEvictionByScore(t *testing.T) {
	// Size 4, window 2, no sinks, scores [5 1 3 0 4 2 9 9]:
	// t4: {0 1 2 3 4}, protected {3 4}: evict 1 (score 1)
	// t5: {0 2 3 4 5}, protected {4 5}: evict 3 (score 0)
	// t6: {0 2 4 5 6}, protected {5 6}: evict 2 (3 < 4 < 5)
	// t7: {0 4 5 6 7}, protected {6 7}: evict 5 (score 2)
	steps, final := runEviction(t, &Evictor{Size: 4, Window: 2, Score: firstDim}, []float64{5, 1, 3, 0, 4, 2, 9, 9})
	want := [][]int{nil, nil, nil, nil, {1}, {3}, {2}, {5}}
	for i := range want {
		if !slices.Equal(steps[i], want[i]) {
			t.Errorf("step %d evicted %v, want %v", i, steps[i], want[i])
		}
	}
	if !slices.Equal(final, []int{0, 4, 6, 7}) {
		t.Errorf("final cache %v, want [0 4 6 7]", final)
	}
}

func TestEvictionWindowProtectsLowScores(t *testing.T) {
	// The newest tokens have the lowest scores but sit in the window.
	steps, final := runEviction(t, &Evictor{Size: 3, Window: 2, Score: firstDim}, []float64{3, 2, 1, -5, -9})
	want := [][]int{nil, nil, nil, {1}, {2}}
	for i := range want {
		if !slices.Equal(steps[i], want[i]) {
			t.Errorf("step %d evicted %v, want %v", i, steps[i], want[i])
		}
	}
	if !slices.Equal(final, []int{0, 3, 4}) {
		t.Errorf("final cache %v, want [0 3 4]", final)
	}
}

func TestEvictionStreamingSinks(t *testing.T) {
	score, err := Policy(Streaming, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Size 4, window 2, 1 sink: the oldest non-sink goes: 1, 2, 3, 4.
	steps, final := runEviction(t, &Evictor{Size: 4, Window: 2, Sinks: 1, Score: score}, make([]float64, 8))
	want := [][]int{nil, nil, nil, nil, {1}, {2}, {3}, {4}}
	for i := range want {
		if !slices.Equal(steps[i], want[i]) {
			t.Errorf("step %d evicted %v, want %v", i, steps[i], want[i])
		}
	}
	if !slices.Equal(final, []int{0, 5, 6, 7}) {
		t.Errorf("final cache %v, want [0 5 6 7]", final)
	}
}

func TestVictim(t *testing.T) {
	if v := Victim([]int{0, 1, 2}, []float64{0, 0, 0}, 3, 0); v != -1 {
		t.Errorf("all in the window: victim %d, want -1", v)
	}
	if v := Victim([]int{0, 1, 2, 3}, []float64{0, 0, 0, 0}, 1, 1); v != 1 {
		t.Errorf("ties: victim %d, want the oldest non-sink (index 1)", v)
	}
	if v := Victim([]int{2, 5, 9}, []float64{7, 1, -3}, 1, 0); v != 1 {
		t.Errorf("victim %d, want index 1 (lowest score outside the window)", v)
	}
}

func TestPolicies(t *testing.T) {
	filter := func(l, g int) []float32 { return []float32{1, 0} }
	key := []float32{2, 3}
	for _, c := range []struct {
		method string
		want   float64
	}{{QFilters, -2}, {KNorm, -math.Sqrt(13)}, {Streaming, 7}} {
		f, err := Policy(c.method, filter, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := f(0, 0, 7, key); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s score %v, want %v", c.method, got, c.want)
		}
	}
	r, _ := Policy(Random, filter, 1)
	a, b := r(0, 0, 7, key), r(0, 0, 8, key)
	if a == b || a < 0 || a >= 1 || a != r(0, 0, 7, key) {
		t.Errorf("random scores %v %v: want distinct, in [0,1), deterministic", a, b)
	}
	if _, err := Policy("nope", filter, 0); err == nil {
		t.Error("unknown method accepted")
	}
}

func TestEvictorCheck(t *testing.T) {
	for _, e := range []Evictor{{Size: 0}, {Size: 4, Window: 4}, {Size: 8, Window: 4, Sinks: 4}, {Size: 4, Window: -1}} {
		if e.Check() == nil {
			t.Errorf("%+v accepted", e)
		}
	}
	if err := (&Evictor{Size: 64, Window: 16, Sinks: 4}).Check(); err != nil {
		t.Error(err)
	}
}

func TestNLL(t *testing.T) {
	if got := NLL([]float32{0, 0}, 0); math.Abs(got-math.Ln2) > 1e-12 {
		t.Errorf("NLL uniform of 2 = %v, want ln 2", got)
	}
	if got := NLL([]float32{1000, 0}, 0); math.Abs(got) > 1e-9 {
		t.Errorf("NLL of a certain token = %v, want 0", got)
	}
}

// TestStreamNLLFromFirstEviction: a cache of C entries first overflows after
// step C, so the predictions of steps 0..C are the full cache's under any
// eviction (excluding them removes the same sum from every method), and the
// prediction of step C+1 is the first one eviction changes.
func TestStreamNLLFromFirstEviction(t *testing.T) {
	m, err := model.Open(fixture.Stories260K())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	dec, err := m.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int, 40)
	for i := range ids {
		ids[i] = (i*37 + 11) % m.Config.Vocab
	}
	const size = 16
	score, err := Policy(Random, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	ev := &Evictor{Size: size, Window: 2, Score: score}
	before := func(e *Evictor, from int) float64 { // NLL of the predictions of steps < from
		nll, n, err := StreamNLL(context.Background(), dec, ids[:from+1], e, 0)
		if err != nil || n != from {
			t.Fatalf("from %d: %d predictions, %v", from, n, err)
		}
		return nll
	}
	if _, n, _ := StreamNLL(context.Background(), dec, ids, ev, 5); n != len(ids)-1-5 {
		t.Errorf("from 5: %d predictions, want %d", n, len(ids)-1-5)
	}
	from := firstEvictedStep(size)
	if a, b := before(ev, from), before(nil, from); a != b {
		t.Errorf("steps before %d: evicted cache %v, full cache %v; want the same", from, a, b)
	}
	if a, b := before(ev, from+1), before(nil, from+1); a == b {
		t.Errorf("step %d: eviction changed nothing (%v); the first evicted step is earlier than computed", from, a)
	}
}
