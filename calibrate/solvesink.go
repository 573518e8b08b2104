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
}

func (s *solveSink) layer(l int, positions []int, rows []float32) error {
	s.res.SamplesUsed = len(positions)
	heads, err := solveRows(rows, len(positions), s.res.Heads, s.res.HeadDim, s.rule)
	if err != nil {
		return err
	}
	s.res.store(l, heads)
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

// The solved arrays are the sink's state: saved whole, restored whole (the
// layers not reached yet are zeros and get overwritten).
func (s *solveSink) tensors() []safetensors.Tensor {
	r := s.res
	return []safetensors.Tensor{
		f32Tensor("q_filters", r.QFilters, r.Layers, r.KVHeads, r.HeadDim),
		f32Tensor("filters_per_qhead", r.PerQueryHead, r.Layers, r.Heads, r.HeadDim),
		f32Tensor("singular_values", r.SingularValues, r.Layers, r.Heads, r.HeadDim),
		f32Tensor("sign_agreement", r.SignAgreement, r.Layers, r.Heads),
		i64Tensor("samples_used", []int64{int64(r.SamplesUsed)}),
	}
}

func (s *solveSink) restore(ck *safetensors.Checkpoint, layers int) error {
	r := s.res
	for _, t := range []struct {
		name string
		dst  []float32
	}{{"q_filters", r.QFilters}, {"filters_per_qhead", r.PerQueryHead},
		{"singular_values", r.SingularValues}, {"sign_agreement", r.SignAgreement}} {
		if err := readF32(ck, t.name, t.dst); err != nil {
			return err
		}
	}
	n, err := readI64(ck, "samples_used")
	if err != nil {
		return err
	}
	if len(n) != 1 || n[0] < 1 || n[0] > maxPositions {
		return fmt.Errorf("samples_used %v: want one count in [1, %d]", n, int64(maxPositions))
	}
	r.SamplesUsed = int(n[0])
	return nil
}
