package calibrate

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/qfilters/qfilters/safetensors"
)

// solveSink solves each layer as soon as its rows are in: an unsharded run
// never holds more than one layer's samples.
type solveSink struct {
	res  *Result
	rule SignRule
	// seqOf maps a global position to its sequence (split-half stability);
	// nil measures none.
	seqOf func(p int) int
}

func (s *solveSink) layer(l int, positions []int, rows []float32) error {
	s.res.SamplesUsed = len(positions)
	heads, err := solveRows(rows, len(positions), s.res.Heads, s.res.HeadDim, s.rule)
	if err != nil {
		return err
	}
	s.res.store(l, heads)
	return s.res.storeStability(l, rows, positions, s.rule, s.seqOf, heads)
}

// storeStability measures layer l's split-half stability from its rows; it
// drops the stability of every layer when this one cannot be measured.
func (r *Result) storeStability(l int, rows []float32, positions []int, rule SignRule, seqOf func(p int) int, full []*headResult) error {
	if r.Stability == nil {
		return nil
	}
	var q, kv []float32
	if seqOf != nil {
		var err error
		if q, kv, err = layerStability(rows, positions, r.Heads, r.KVHeads, r.HeadDim, rule, seqOf, full); err != nil {
			return fmt.Errorf("split-half stability: %w", err)
		}
	}
	if q == nil {
		r.Stability, r.StabilityKV = nil, nil
		return nil
	}
	copy(r.Stability[l*r.Heads:], q)
	copy(r.StabilityKV[l*r.KVHeads:], kv)
	return nil
}

// solveRows solves every query head of one layer's rows in parallel.
func solveRows(rows []float32, n, heads, d int, rule SignRule) ([]*headResult, error) {
	stride := heads * d
	results := make([]*headResult, heads)
	errs := make([]error, heads)
	eachHead(heads, func(h int) {
		st := newHeadStats(d)
		st.add(rows, n, stride, h*d)
		results[h], errs[h] = solveHead(st, rule, headRows{x: rows, n: n, stride: stride, off: h * d, d: d})
	})
	for h, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("head %d: %w", h, err)
		}
	}
	return results, nil
}

// eachHead runs f for every head, on as many threads as Go may use.
func eachHead(heads int, f func(h int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for h := 0; h < heads; h++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(h)
		}()
	}
	wg.Wait()
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
		if r.SignAgreement != nil {
			r.SignAgreement[l*r.Heads+h] = float32(hr.agreement)
		}
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

// The solved arrays are the sink's state, layer by layer.
func (s *solveSink) tensors(from, to int) []safetensors.Tensor {
	r := s.res
	var out []safetensors.Tensor
	for l := from; l < to; l++ {
		kv, q := r.layerSlices(l)
		out = append(out,
			f32Tensor(fmt.Sprintf("q_filters.%d", l), kv, r.KVHeads, r.HeadDim),
			f32Tensor(fmt.Sprintf("filters_per_qhead.%d", l), q[0], r.Heads, r.HeadDim),
			f32Tensor(fmt.Sprintf("singular_values.%d", l), q[1], r.Heads, r.HeadDim),
			f32Tensor(fmt.Sprintf("sign_agreement.%d", l), q[2], r.Heads),
			i64Tensor(fmt.Sprintf("samples_used.%d", l), []int64{int64(r.SamplesUsed)}))
		if r.Stability != nil {
			out = append(out,
				f32Tensor(fmt.Sprintf("stability.%d", l), r.Stability[l*r.Heads:(l+1)*r.Heads], r.Heads),
				f32Tensor(fmt.Sprintf("stability_kv.%d", l), r.StabilityKV[l*r.KVHeads:(l+1)*r.KVHeads], r.KVHeads))
		}
	}
	return out
}

func (s *solveSink) restore(ck tensorReader, layers int) error {
	r := s.res
	for l := 0; l < layers; l++ {
		kv, q := r.layerSlices(l)
		for i, dst := range [][]float32{kv, q[0], q[1], q[2]} {
			name := [...]string{"q_filters", "filters_per_qhead", "singular_values", "sign_agreement"}[i]
			if err := readF32(ck, fmt.Sprintf("%s.%d", name, l), dst); err != nil {
				return err
			}
		}
		n, err := readI64(ck, fmt.Sprintf("samples_used.%d", l))
		if err != nil {
			return err
		}
		if len(n) != 1 || n[0] < 1 || n[0] > maxPositions {
			return fmt.Errorf("layer %d: samples_used %v: want one count in [1, %d]", l, n, int64(maxPositions))
		}
		r.SamplesUsed = int(n[0])
		if r.Stability != nil {
			// A checkpoint without stability (one sequence) restores none.
			if err := readF32(ck, fmt.Sprintf("stability.%d", l), r.Stability[l*r.Heads:(l+1)*r.Heads]); err != nil {
				r.Stability, r.StabilityKV = nil, nil
				continue
			}
			if err := readF32(ck, fmt.Sprintf("stability_kv.%d", l), r.StabilityKV[l*r.KVHeads:(l+1)*r.KVHeads]); err != nil {
				return err
			}
		}
	}
	return nil
}

// layerSlices returns layer l's share of the q_filters, and of the
// per-query-head filters, singular values and sign agreement.
func (r *Result) layerSlices(l int) (kv []float32, q [3][]float32) {
	kvw, qw := r.KVHeads*r.HeadDim, r.Heads*r.HeadDim
	return r.QFilters[l*kvw : (l+1)*kvw], [3][]float32{
		r.PerQueryHead[l*qw : (l+1)*qw], r.SingularValues[l*qw : (l+1)*qw], r.SignAgreement[l*r.Heads : (l+1)*r.Heads]}
}
