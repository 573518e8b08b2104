package eval

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/model"
	"github.com/qfilters/qfilters/synth"
)

// TestLifetimesReplayCompress: the lifetimes give, at every step, exactly
// the keys the decoder's cache holds when that step's query attends (the
// cache Compress left after the step before, plus the new token): with tied
// scores, sinks, no window, and caches larger than the sequence.
func TestLifetimesReplayCompress(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ size, window, sinks, seq int }{
		{8, 2, 0, 60}, {8, 0, 0, 60}, {12, 3, 4, 80}, {5, 1, 3, 40}, {100, 4, 0, 50}, {50, 4, 4, 50}, {1, 0, 0, 20},
	} {
		for _, tied := range []bool{false, true} {
			name := fmt.Sprintf("size %d window %d sinks %d tied %v", tc.size, tc.window, tc.sinks, tied)
			scores := make([]float64, tc.seq)
			keys := make([][]float32, tc.seq)
			for j := range scores {
				scores[j] = rng.Float64()
				if tied {
					scores[j] = float64(rng.IntN(3))
				}
				keys[j] = []float32{float32(scores[j])}
			}
			ev := &Evictor{Size: tc.size, Window: tc.window, Sinks: tc.sinks, Score: firstDim}
			until := ev.Lifetimes(0, 0, keys)
			c := oneHeadCache()
			for step, s := range scores {
				appendEntry(c, step, s)
				var want []int // the keys the lifetimes let step's query see
				for j := 0; j <= step; j++ {
					if step < int(until[j]) {
						want = append(want, j)
					}
				}
				if got := c.Layers[0][0].Pos; !slices.Equal(got, want) {
					t.Fatalf("%s, step %d: the decoder's cache holds %v, the lifetimes give %v", name, step, got, want)
				}
				ev.Compress(c)
			}
		}
	}
}

// TestMaskedNLLMatchesDecoder: one masked forward pass gives the perplexity
// of token-by-token decoding with an evicting cache, to float32 rounding,
// for every method, on the embedded model and a synthetic preset, at
// several cache sizes and windows, including caches larger than the text.
func TestMaskedNLLMatchesDecoder(t *testing.T) {
	smallDir := filepath.Join(t.TempDir(), "small")
	p, err := synth.Lookup("small")
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Write(smallDir, p, 1); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir string
		seq       int
	}{
		{"stories260K", fixture.Stories260K(), 200},
		{"synth small", smallDir, 72},
	} {
		m, err := model.Open(tc.dir)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		c := m.Config
		dec, err := m.NewDecoder()
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, uint64(tc.seq)))
		ids := make([]int, tc.seq)
		for i := range ids {
			ids[i] = rng.IntN(c.Vocab)
		}
		filters := make([]float32, c.Layers*c.KVHeads*c.HeadDim)
		for i := range filters {
			filters[i] = float32(rng.NormFloat64())
		}
		filter := func(l, g int) []float32 {
			i := (l*c.KVHeads + g) * c.HeadDim
			return filters[i : i+c.HeadDim]
		}
		worst := 0.0
		defer func() { t.Logf("%s: largest relative difference %.2g", tc.name, worst) }()
		for _, cw := range [][2]int{{16, 4}, {24, 0}, {40, 10}, {tc.seq + 30, 8}} {
			for _, method := range PPLMethods {
				var ev *Evictor
				if method != Full {
					score, err := Policy(method, filter, 3)
					if err != nil {
						t.Fatal(err)
					}
					ev = &Evictor{Size: cw[0], Window: cw[1], Score: score}
					if method == Streaming {
						ev.Sinks = DefaultSinks
					}
				}
				name := fmt.Sprintf("%s cache %d window %d %s", tc.name, cw[0], cw[1], method)
				// Scored from the first step eviction can change, as eval
				// does, or from 0 when the cache never overflows (eval
				// refuses such a cache: here the pass must equal the plain
				// forward's).
				from := firstEvictedStep(cw[0])
				if from >= tc.seq-1 {
					from = 0
				}
				want, wn, err := StreamNLL(context.Background(), dec, ids, ev, from)
				if err != nil {
					t.Fatal(err)
				}
				got, gn, err := MaskedNLL(context.Background(), m, ids, ev, from)
				if err != nil {
					t.Fatal(err)
				}
				if gn != wn || wn == 0 {
					t.Fatalf("%s from %d: %d predictions, decoder %d", name, from, gn, wn)
				}
				pg, pw := math.Exp(got/float64(gn)), math.Exp(want/float64(wn))
				e := math.Abs(pg-pw) / pw
				worst = max(worst, e)
				if e > 1e-6 || math.IsNaN(e) {
					t.Errorf("%s from %d: perplexity %.9g, decoder %.9g (rel %.2g)", name, from, pg, pw, e)
				}
			}
		}
	}
}

// TestMaskedNLLMatchesDecoderEveryArch: the same on every architecture
// fixture (sliding windows, soft-capping, qk-norms, partial rotary, MoE,
// parallel residuals), at one cache size.
func TestMaskedNLLMatchesDecoderEveryArch(t *testing.T) {
	archs, err := filepath.Glob(fixture.Path("archs", "*", "config.json"))
	if err != nil || len(archs) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, cfgPath := range archs {
		dir := filepath.Dir(cfgPath)
		name := filepath.Base(dir)
		// Length-dependent RoPE rotates a whole sequence by its length and a
		// decoded token by the length seen so far: the two differ by design
		// (docs/MODELS.md).
		if name == "rope_dynamic" || name == "rope_longrope" {
			continue
		}
		// Gemma 4's attention scores are unscaled (larger logits), so its
		// decoder agrees with the batched pass to 5e-5 (as in model's tests).
		tol := 1e-6
		if strings.HasPrefix(name, "gemma4") {
			tol = 5e-5
		}
		t.Run(name, func(t *testing.T) {
			m, err := model.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			c := m.Config
			dec, err := m.NewDecoder()
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(8, 9))
			ids := make([]int, 64)
			for i := range ids {
				ids[i] = rng.IntN(c.Vocab)
			}
			// Layers may differ in kv heads and head dims (Gemma 4).
			G, D := c.MaxKVHeads(), c.MaxHeadDim()
			filters := make([]float32, c.Layers*G*D)
			for i := range filters {
				filters[i] = float32(rng.NormFloat64())
			}
			filter := func(l, g int) []float32 {
				i := (l*G + g) * D
				return filters[i : i+c.HeadDimOf(l)]
			}
			for _, method := range PPLMethods[1:] {
				// Llama 4 L2-normalizes its keys: every K-norm is 1 up to
				// rounding, and the rounding of a batched pass and of one
				// token at a time decide the order. Not a meaningful case.
				if method == KNorm && strings.HasPrefix(name, "llama4") {
					continue
				}
				score, err := Policy(method, filter, 3)
				if err != nil {
					t.Fatal(err)
				}
				ev := &Evictor{Size: 20, Window: 5, Score: score}
				if method == Streaming {
					ev.Sinks = DefaultSinks
				}
				from := firstEvictedStep(ev.Size)
				want, wn, err := StreamNLL(context.Background(), dec, ids, ev, from)
				if err != nil {
					t.Fatal(err)
				}
				got, gn, err := MaskedNLL(context.Background(), m, ids, ev, from)
				if err != nil {
					t.Fatal(err)
				}
				pg, pw := math.Exp(got/float64(gn)), math.Exp(want/float64(wn))
				if e := math.Abs(pg-pw) / pw; gn != wn || e > tol || math.IsNaN(e) {
					t.Errorf("%s: perplexity %.9g over %d, decoder %.9g over %d (rel %.2g)", method, pg, gn, pw, wn, e)
				}
			}
		})
	}
}
