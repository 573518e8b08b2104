package model

import (
	"math"
	"runtime"
	"sort"
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

// moeMLP routes each token to its top-k experts by softmax of the router
// logits, optionally renormalizing the k weights to sum to one.
type moeMLP struct {
	router   *linear
	experts  []*gatedMLP
	topK     int
	normTopK bool
	// shared, when set, is added to every token's output scaled by
	// sigmoid(sharedGate(x)) (Qwen3-Next, Qwen 3.5 MoE).
	shared     *gatedMLP
	sharedGate *linear
}

func (m *moeMLP) apply(x []float32, rows int) []float32 {
	hidden := m.router.w.Cols
	logits := m.router.apply(x, rows)
	n := len(m.experts)
	// Gather, per expert, the tokens routed to it and their weights, so each
	// expert runs one batched product.
	tokens := make([][]int, n)
	weights := make([][]float32, n)
	probs := make([]float64, n)
	order := make([]int, n)
	for t := 0; t < rows; t++ {
		row := logits[t*n : t*n+n]
		maxL := math.Inf(-1)
		for _, v := range row {
			maxL = math.Max(maxL, float64(v))
		}
		var sum float64
		for e, v := range row {
			probs[e] = math.Exp(float64(v) - maxL)
			sum += probs[e]
		}
		for e := range probs {
			probs[e] = float64(float32(probs[e] / sum))
			order[e] = e
		}
		sort.SliceStable(order, func(a, b int) bool { return probs[order[a]] > probs[order[b]] })
		var top float64
		for _, e := range order[:m.topK] {
			top += probs[e]
		}
		for _, e := range order[:m.topK] {
			w := probs[e]
			if m.normTopK {
				w /= top
			}
			tokens[e] = append(tokens[e], t)
			weights[e] = append(weights[e], float32(w))
		}
	}
	out := make([]float32, rows*hidden)
	for e, toks := range tokens {
		if len(toks) == 0 {
			continue
		}
		in := make([]float32, len(toks)*hidden)
		for i, t := range toks {
			copy(in[i*hidden:(i+1)*hidden], x[t*hidden:(t+1)*hidden])
		}
		y := m.experts[e].apply(in, len(toks))
		for i, t := range toks {
			w := weights[e][i]
			dst := out[t*hidden : (t+1)*hidden]
			for j, v := range y[i*hidden : (i+1)*hidden] {
				dst[j] += w * v
			}
		}
	}
	if m.shared != nil {
		y := m.shared.apply(x, rows)
		g := m.sharedGate.apply(x, rows)
		for t := 0; t < rows; t++ {
			s := float32(1 / (1 + math.Exp(-float64(g[t]))))
			dst := out[t*hidden : (t+1)*hidden]
			for j, v := range y[t*hidden : (t+1)*hidden] {
				dst[j] += s * v
			}
		}
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
