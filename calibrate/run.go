// Package calibrate runs a model over calibration sequences, gathers the
// post-RoPE queries of every head and solves the Q-Filters: the principal
// direction of each query head, oriented by the sign rule, negated, and
// averaged over each grouped-query group (see docs of Solve).
package calibrate

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/qfilters/qfilters/model"
)

// Options control calibration.
type Options struct {
	// Samples is the number of token positions per layer used for the SVD,
	// chosen at random with Seed; <= 0 uses every position.
	Samples int
	Seed    int64
	Sign    SignRule
	// Progress, when set, is called after each sequence of each layer.
	Progress func(layer, seq int)
	// Context, when set, stops the run between two sequences once done.
	Context context.Context
}

// Result holds the solved filters, flat and row-major.
type Result struct {
	Layers, Heads, KVHeads, HeadDim int
	QFilters                        []float32 // [Layers][KVHeads][HeadDim]
	PerQueryHead                    []float32 // [Layers][Heads][HeadDim]
	SingularValues                  []float32 // [Layers][Heads][HeadDim]
	SignAgreement                   []float32 // [Layers][Heads]
	SamplesUsed                     int       // per layer
}

// Run calibrates m on seqs, layer by layer: one layer's weights are loaded,
// every sequence's hidden states pass through it, its sampled queries are
// solved, and it is released before the next one.
func Run(m *model.Model, seqs [][]int, opt Options) (*Result, error) {
	c := m.Config
	if len(seqs) == 0 {
		return nil, fmt.Errorf("no calibration sequences")
	}
	if opt.Sign == "" {
		opt.Sign = SignVote
	}
	res := &Result{
		Layers: c.Layers, Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim,
		QFilters:       make([]float32, c.Layers*c.KVHeads*c.HeadDim),
		PerQueryHead:   make([]float32, c.Layers*c.Heads*c.HeadDim),
		SingularValues: make([]float32, c.Layers*c.Heads*c.HeadDim),
		SignAgreement:  make([]float32, c.Layers*c.Heads),
	}
	err := gather(m, seqs, opt, func(l int, rows []float32, n int) error {
		res.SamplesUsed = n
		return res.solveLayer(l, rows, n, opt.Sign)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// gather runs the model layer-major and hands each layer's sampled query
// rows ([n][heads*headDim], in position order) to solve.
func gather(m *model.Model, seqs [][]int, opt Options, solve func(l int, rows []float32, n int) error) error {
	c := m.Config
	qWidth := c.Heads * c.HeadDim
	// offsets[s] is the global position of sequence s's first token.
	offsets := make([]int, len(seqs)+1)
	for s, ids := range seqs {
		offsets[s+1] = offsets[s] + len(ids)
	}
	total := offsets[len(seqs)]
	emb, err := m.Embedding()
	if err != nil {
		return err
	}
	hidden := make([][]float32, len(seqs))
	for s, ids := range seqs {
		if hidden[s], err = emb.Embed(ids); err != nil {
			return fmt.Errorf("sequence %d: %w", s, err)
		}
	}
	emb = nil
	for l := 0; l < c.Layers; l++ {
		last := l == c.Layers-1
		layer, err := m.Layer(l, !last)
		if err != nil {
			return err
		}
		positions := samplePositions(opt.Seed, l, total, opt.Samples)
		rows := make([]float32, len(positions)*qWidth)
		next := 0 // index into positions
		for s, ids := range seqs {
			keep := func(q []float32) {
				for next < len(positions) && positions[next] < offsets[s+1] {
					p := positions[next] - offsets[s]
					copy(rows[next*qWidth:(next+1)*qWidth], q[p*qWidth:(p+1)*qWidth])
					next++
				}
			}
			if last {
				keep(layer.Queries(hidden[s], len(ids)))
				hidden[s] = nil
			} else {
				layer.Forward(hidden[s], len(ids), func(_ int, q, _ []float32) { keep(q) })
			}
			if opt.Progress != nil {
				opt.Progress(l, s)
			}
			if opt.Context != nil && opt.Context.Err() != nil {
				return context.Cause(opt.Context)
			}
		}
		layer = nil
		if err := solve(l, rows, len(positions)); err != nil {
			return fmt.Errorf("layer %d: %w", l, err)
		}
	}
	return nil
}

// solveLayer solves every query head of layer l in parallel and averages
// them over GQA groups.
func (r *Result) solveLayer(l int, rows []float32, n int, rule SignRule) error {
	d, heads := r.HeadDim, r.Heads
	stride := heads * d
	results := make([]*headResult, heads)
	errs := make([]error, heads)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for h := 0; h < heads; h++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(h int) {
			defer func() { <-sem; wg.Done() }()
			st := newHeadStats(d)
			st.add(rows, n, stride, h*d)
			results[h], errs[h] = solveHead(st, rule, headRows{x: rows, n: n, stride: stride, off: h * d, d: d})
		}(h)
	}
	wg.Wait()
	for h, err := range errs {
		if err != nil {
			return fmt.Errorf("head %d: %w", h, err)
		}
	}
	r.store(l, results)
	return nil
}

// store writes layer l's head results and their GQA averages: consecutive
// query heads g·rep … g·rep+rep-1 share key/value head g (transformers'
// repeat_kv), and their filters are averaged without renormalizing.
func (r *Result) store(l int, heads []*headResult) {
	d := r.HeadDim
	rep := r.Heads / r.KVHeads
	for h, hr := range heads {
		base := (l*r.Heads + h) * d
		for i := 0; i < d; i++ {
			r.PerQueryHead[base+i] = float32(hr.filter[i])
			r.SingularValues[base+i] = float32(hr.singular[i])
		}
		r.SignAgreement[l*r.Heads+h] = float32(hr.agreement)
	}
	for g := 0; g < r.KVHeads; g++ {
		for i := 0; i < d; i++ {
			var s float64
			for h := g * rep; h < (g+1)*rep; h++ {
				s += heads[h].filter[i]
			}
			r.QFilters[(l*r.KVHeads+g)*d+i] = float32(s / float64(rep))
		}
	}
}
