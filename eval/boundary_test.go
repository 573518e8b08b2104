package eval

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/model"
)

// TestMaskedBoundaryStep: the one prediction at the first step after the
// cache first overflows (step Size+1) is the decoder's, for every method,
// on families with learned sinks and sliding windows smaller than the cache;
// the step before (Size) is still the full cache's.
func TestMaskedBoundaryStep(t *testing.T) {
	for _, name := range []string{"gpt_oss", "gemma3", "cohere2", "mistral"} {
		t.Run(name, func(t *testing.T) {
			m, err := model.Open(fixture.Path("archs", name))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			c := m.Config
			dec, err := m.NewDecoder()
			if err != nil {
				t.Fatal(err)
			}
			const size, window = 20, 5
			rng := rand.New(rand.NewPCG(21, 22))
			ids := make([]int, size+3) // predictions at steps size and size+1
			for i := range ids {
				ids[i] = rng.IntN(c.Vocab)
			}
			G, D := c.MaxKVHeads(), c.MaxHeadDim()
			filters := make([]float32, c.Layers*G*D)
			for i := range filters {
				filters[i] = float32(rng.NormFloat64())
			}
			filter := func(l, g int) []float32 { i := (l*G + g) * D; return filters[i : i+c.HeadDimOf(l)] }
			full := func(from int) float64 {
				x, _, err := StreamNLL(context.Background(), dec, ids, nil, from)
				if err != nil {
					t.Fatal(err)
				}
				return x
			}
			fullAt, fullLast := full(size)-full(size+1), full(size+1)
			for _, method := range PPLMethods[1:] {
				score, err := Policy(method, filter, 3)
				if err != nil {
					t.Fatal(err)
				}
				ev := &Evictor{Size: size, Window: window, Score: score}
				if method == Streaming {
					ev.Sinks = DefaultSinks
				}
				var nll [2]float64
				for i, from := range []int{size, size + 1} {
					want, wn, err := StreamNLL(context.Background(), dec, ids, ev, from)
					if err != nil {
						t.Fatal(err)
					}
					got, gn, err := MaskedNLL(context.Background(), m, ids, ev, from)
					if err != nil {
						t.Fatal(err)
					}
					if gn != wn || math.Abs(got-want) > 1e-5*math.Abs(want) {
						t.Errorf("%s from %d: masked NLL %.9g over %d, decoder %.9g over %d", method, from, got, gn, want, wn)
					}
					nll[i] = want
				}
				if at := nll[0] - nll[1]; math.Abs(at-fullAt) > 1e-5*fullAt {
					t.Errorf("%s: step %d NLL %.9g is not the full cache's %.9g", method, size, at, fullAt)
				}
				if nll[1] == fullLast {
					t.Errorf("%s: step %d equals the full cache's: no eviction seen", method, size+1)
				}
			}
		})
	}
}
