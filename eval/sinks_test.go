package eval

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/model"
)

// sinkRecallRef is the oracle's and Streaming-LLM's recall of one query, in
// float64 from the float32 q and keys: the weights of keys lo..i are the
// softmax with the learned sink logit in the denominator (none when sink is
// nil), and the recall at each ratio is the kept keys' weight (out of 1, the
// sink's share included).
func sinkRecallRef(q []float32, keys [][]float32, lo, i int, scale float64, sink *float64, ratios []int, streamSinks int) (oracle, stream []float64) {
	s := make([]float64, i-lo+1)
	mx := math.Inf(-1)
	for j := range s {
		for t, x := range q {
			s[j] += float64(x) * float64(keys[lo+j][t])
		}
		s[j] *= scale
		mx = math.Max(mx, s[j])
	}
	if sink != nil {
		mx = math.Max(mx, *sink)
	}
	var den float64
	for j := range s {
		s[j] = math.Exp(s[j] - mx)
		den += s[j]
	}
	if sink != nil {
		den += math.Exp(*sink - mx)
	}
	for j := range s {
		s[j] /= den
	}
	sorted := slices.Clone(s)
	slices.Sort(sorted)
	slices.Reverse(sorted)
	n := len(s)
	for _, r := range ratios {
		k := (n + r - 1) / r
		var o, st float64
		for _, w := range sorted[:k] {
			o += w
		}
		first := min(streamSinks, k) // the first tokens, then the most recent
		for j := range first {
			st += s[j]
		}
		for j := n - (k - first); j < n; j++ {
			st += s[j]
		}
		oracle, stream = append(oracle, o), append(stream, st)
	}
	return oracle, stream
}

// TestRunLearnedSinks: on the tiny gpt-oss (learned sinks, sliding layers
// of 8 keys and a full one), eval's per-layer oracle and Streaming-LLM
// recall equal a computation here from the layers' queries, keys and sinks
// in float64 with the sink in every softmax, and differ from the same
// computation without the sinks (keeping every key recalls 1 - the sinks'
// share, below 1).
func TestRunLearnedSinks(t *testing.T) {
	m, err := model.Open(fixture.Arch("gpt_oss"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	c := m.Config
	f := &export.Filters{Layers: c.Layers, KVHeads: c.KVHeads, HeadDim: c.HeadDim, QFilters: make([]float32, c.Layers*c.KVHeads*c.HeadDim)}
	for i := range f.QFilters {
		f.QFilters[i] = float32(i%3) - 1
	}
	ids := make([]int, 40)
	for i := range ids {
		ids[i] = (i*11 + 5) % c.Vocab
	}
	opt := Options{Ratios: []int{1, 2, 4}, MinKeys: 4}
	rep, err := Run(m, f, [][]int{ids}, Config{Options: opt})
	if err != nil {
		t.Fatal(err)
	}
	if c.AttnSoftcap != 0 {
		t.Fatalf("the reference below has no soft-capping, gpt-oss has %v", c.AttnSoftcap)
	}
	scale := 1 / math.Sqrt(float64(c.HeadDim)) // gpt-oss: head_dim^-0.5

	type layerData struct{ q, k, sinks []float32 }
	layers := make([]layerData, c.Layers)
	if err := forward(context.Background(), m, ids, func(l int, q, k, _, sinks []float32) {
		layers[l] = layerData{slices.Clone(q), slices.Clone(k), slices.Clone(sinks)}
	}); err != nil {
		t.Fatal(err)
	}
	method := func(name string) MethodRecall {
		for _, mr := range rep.Recall {
			if mr.Method == name {
				return mr
			}
		}
		t.Fatalf("no %s recall", name)
		return MethodRecall{}
	}
	oracle, stream := method(Oracle), method(Streaming)
	H, G, d := c.Heads, c.KVHeads, c.HeadDim
	nr := len(opt.Ratios)
	for l, ld := range layers {
		if len(ld.sinks) != H {
			t.Fatalf("layer %d: %d sinks, want one per query head (%d)", l, len(ld.sinks), H)
		}
		sumO, sumS := make([]float64, nr), make([]float64, nr)
		noSinkO := make([]float64, nr)
		queries := 0
		for h := range H {
			qs, ks := headRows(ld.q, H, h, d), headRows(ld.k, G, h/(H/G), d)
			sink := float64(ld.sinks[h])
			for i := range ids {
				lo := windowStart(i, layerWindow(c, l), 0)
				if i-lo+1 < opt.MinKeys {
					continue
				}
				queries++
				o, s := sinkRecallRef(qs[i], ks, lo, i, scale, &sink, opt.Ratios, DefaultSinks)
				o0, _ := sinkRecallRef(qs[i], ks, lo, i, scale, nil, opt.Ratios, DefaultSinks)
				for r := range nr {
					sumO[r] += o[r]
					sumS[r] += s[r]
					noSinkO[r] += o0[r]
				}
			}
		}
		for r, ratio := range opt.Ratios {
			wantO, wantS, without := sumO[r]/float64(queries), sumS[r]/float64(queries), noSinkO[r]/float64(queries)
			gotO, gotS := oracle.PerLayer[l][r], stream.PerLayer[l][r]
			if math.Abs(gotO-wantO) > 1e-12 || math.Abs(gotS-wantS) > 1e-12 {
				t.Errorf("layer %d x%d: oracle %.15g streaming %.15g, want %.15g and %.15g (sinks in the softmax)", l, ratio, gotO, gotS, wantO, wantS)
			}
			if math.Abs(gotO-without) < 1e-3 {
				t.Errorf("layer %d x%d: oracle %.15g is the recall without sinks (%.15g): the sinks are not counted", l, ratio, gotO, without)
			}
			if ratio == 1 && (gotO >= 1-1e-3 || math.Abs(without-1) > 1e-12) {
				t.Errorf("layer %d: keeping every key recalls %v with sinks, %v without; want below 1 and 1", l, gotO, without)
			}
		}
	}
}
