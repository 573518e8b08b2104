package model

import (
	"runtime"
	"sync"

	"github.com/qfilters/qfilters/kernels"
)

// mlp is a block's feed-forward part.
type mlp interface {
	apply(x []float32, rows int) []float32
}

// gatedMLP is down(act(gate(x)) · up(x)): SwiGLU and GeGLU.
type gatedMLP struct {
	gate, up, down *linear
	act            func(float32) float32
	silu           bool // act is SiLU: kernels.SiLUMul does the pass, with act's bits
}

func (m *gatedMLP) apply(x []float32, rows int) []float32 {
	g := m.gate.apply(x, rows)
	u := m.up.apply(x, rows)
	parallel(len(g), func(lo, hi int) {
		if m.silu {
			kernels.SiLUMul(g[lo:hi], u[lo:hi])
			return
		}
		for i := lo; i < hi; i++ {
			g[i] = m.act(g[i]) * u[i]
		}
	})
	return m.down.apply(g, rows)
}

// plainMLP is down(act(up(x))) (GPT-NeoX).
type plainMLP struct {
	up, down *linear
	act      func(float32) float32
}

func (m *plainMLP) apply(x []float32, rows int) []float32 {
	u := m.up.apply(x, rows)
	parallel(len(u), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			u[i] = m.act(u[i])
		}
	})
	return m.down.apply(u, rows)
}

// moeMLP routes each token to its top-k experts (see route for the rules)
// and sums their outputs with the routing weights, plus a shared expert's
// when there is one.
type moeMLP struct {
	router   *linear
	experts  []*gatedMLP
	topK     int
	normTopK bool

	routing    routing
	bias       []float32 // score correction bias (sigmoidBias routing)
	scale      float32   // routed scale (sigmoidBias routing), 0 for 1
	groups     [2]int    // groups, eligible groups (sigmoidBias routing), 0 for none
	shared     *gatedMLP // nil when none
	scaleInput bool      // weights scale the expert's input, not its output (Llama 4)
}

func (m *moeMLP) apply(x []float32, rows int) []float32 {
	hidden := m.router.w.Cols
	logits := m.router.apply(x, rows)
	n := len(m.experts)
	// Gather, per expert, the tokens routed to it and their weights, so each
	// expert runs one batched product.
	tokens := make([][]int, n)
	weights := make([][]float32, n)
	r := newRouter(n)
	for t := 0; t < rows; t++ {
		for _, c := range m.route(r, logits[t*n:t*n+n]) {
			tokens[c.expert] = append(tokens[c.expert], t)
			weights[c.expert] = append(weights[c.expert], c.weight)
		}
	}
	out := make([]float32, rows*hidden)
	for e, toks := range tokens {
		if len(toks) == 0 {
			continue
		}
		in := make([]float32, len(toks)*hidden)
		for i, t := range toks {
			row := in[i*hidden : (i+1)*hidden]
			copy(row, x[t*hidden:(t+1)*hidden])
			if m.scaleInput {
				for j := range row {
					row[j] *= weights[e][i]
				}
			}
		}
		y := m.experts[e].apply(in, len(toks))
		for i, t := range toks {
			w := weights[e][i]
			dst := out[t*hidden : (t+1)*hidden]
			src := y[i*hidden : (i+1)*hidden]
			if m.scaleInput {
				addInto(dst, src)
				continue
			}
			for j, v := range src {
				dst[j] += w * v
			}
		}
	}
	if m.shared != nil {
		addInto(out, m.shared.apply(x, rows))
	}
	return out
}

// parallel splits [0, n) into one range per core and runs fn on each: the
// element-wise parts of the block would otherwise run on one core while the
// matrix products use all of them.
func parallel(n int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 1<<14 || workers == 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
