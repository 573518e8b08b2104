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
	// pending holds, per shared cache's owner, the rows of its group's
	// layers seen so far (solved at its last reader).
	pending    map[int][]float32
	pendingPos map[int][]int
	// seqOf maps a global position to its sequence (split-half stability);
	// nil measures none.
	seqOf func(p int) int
}

func (s *solveSink) layer(l int, positions []int, rows []float32) error {
	r := s.res
	if !hasCache(r.NoCache, l) {
		return nil // zeros
	}
	owner, last := r.cacheGroup(l)
	if owner != l || last != l {
		// A shared cache: solve once its last reader's rows are in.
		if s.pending == nil {
			s.pending, s.pendingPos = map[int][]float32{}, map[int][]int{}
		}
		s.pending[owner] = append(s.pending[owner], rows...)
		s.pendingPos[owner] = append(s.pendingPos[owner], positions...)
		if l != last {
			return nil
		}
		rows, positions = s.pending[owner], s.pendingPos[owner]
		delete(s.pending, owner)
		delete(s.pendingPos, owner)
	}
	n := len(rows) / (r.Heads * r.HeadDim)
	r.SamplesUsed = n
	heads, err := solveRows(rows, n, r.Heads, r.HeadDim, s.rule)
	if err != nil {
		return err
	}
	r.store(owner, heads)
	if err := r.storeStability(owner, rows, positions, s.rule, s.seqOf, heads); err != nil {
		return err
	}
	r.copyToReaders(owner)
	return nil
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
		// A layer narrower than the widest has its own kv heads (its rows
		// are zero-padded to the widest head dim, which changes nothing).
		if q, kv, err = layerStability(rows, positions, r.Heads, r.kvOf(l), r.HeadDim, rule, seqOf, full); err != nil {
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

// cacheGroup returns the owner of the cache layer l reads and the last
// layer reading it.
func (r *Result) cacheGroup(l int) (owner, last int) {
	if r.KVOwner == nil {
		return l, l
	}
	owner, last = r.KVOwner[l], l
	for x, o := range r.KVOwner {
		if o == owner {
			last = max(last, x)
		}
	}
	return owner, last
}

// copyToReaders gives the layers reading owner's cache its rows.
func (r *Result) copyToReaders(owner int) {
	for x, o := range r.KVOwner {
		if o != owner || x == owner {
			continue
		}
		kvw, qw := r.KVHeads*r.HeadDim, r.Heads*r.HeadDim
		copy(r.QFilters[x*kvw:(x+1)*kvw], r.QFilters[owner*kvw:(owner+1)*kvw])
		copy(r.PerQueryHead[x*qw:(x+1)*qw], r.PerQueryHead[owner*qw:(owner+1)*qw])
		copy(r.SingularValues[x*qw:(x+1)*qw], r.SingularValues[owner*qw:(owner+1)*qw])
		if r.SignAgreement != nil {
			copy(r.SignAgreement[x*r.Heads:(x+1)*r.Heads], r.SignAgreement[owner*r.Heads:(owner+1)*r.Heads])
		}
		if r.Stability != nil {
			copy(r.Stability[x*r.Heads:(x+1)*r.Heads], r.Stability[owner*r.Heads:(owner+1)*r.Heads])
			copy(r.StabilityKV[x*r.KVHeads:(x+1)*r.KVHeads], r.StabilityKV[owner*r.KVHeads:(owner+1)*r.KVHeads])
		}
	}
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
	kvl := r.kvOf(l)
	rep := r.Heads / kvl
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
	for g := 0; g < kvl; g++ {
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
		if !hasCache(r.NoCache, l) {
			continue
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
