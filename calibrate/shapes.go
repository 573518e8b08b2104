package calibrate

import "github.com/qfilters/qfilters/model"

// Models whose layers differ in shape (Gemma 4's global layers: another head
// dim and kv-head count) are calibrated in the largest shape: each layer's
// query rows are padded with zeros to the largest head dim (zero columns
// change neither the principal direction nor the vote), and each layer's
// q_filters rows fill its own kv heads and head dim, zeros beyond. A cache
// that several layers read (Gemma 4's num_kv_shared_layers) gets one
// filter, solved from the sampled queries of its owner and of every reader
// together, stored in the owner's row and copied to the readers' rows (so
// q_filters[layer_idx] is the filter of the cache that layer attends over).

// shapes is what calibration needs of a model's per-layer shapes.
type shapes struct {
	heads, maxKV, maxD int
	kv, d              []int // per layer; nil when uniform
	owner              []int // per layer; nil without shared caches
}

func shapesOf(c *model.Config) shapes {
	s := shapes{heads: c.Heads, maxKV: c.MaxKVHeads(), maxD: c.MaxHeadDim()}
	if c.LayerHeadDim != nil {
		s.kv, s.d = c.LayerKVHeads, c.LayerHeadDim
	}
	s.owner = c.KVOwner
	return s
}

func (s shapes) kvOf(l int) int {
	if s.kv != nil {
		return s.kv[l]
	}
	return s.maxKV
}

func (s shapes) dOf(l int) int {
	if s.d != nil {
		return s.d[l]
	}
	return s.maxD
}

func (s shapes) ownerOf(l int) int {
	if s.owner != nil {
		return s.owner[l]
	}
	return l
}

// group lists the layers whose queries make the filter of owner's cache:
// owner and the layers reading it, increasing. nil for a layer that reads
// another's cache.
func (s shapes) group(owner int) []int {
	if s.ownerOf(owner) != owner {
		return nil
	}
	g := []int{owner}
	for r, o := range s.owner {
		if o == owner && r != owner {
			g = append(g, r)
		}
	}
	return g
}

// inSharedSpan reports whether, with the layers before next done, some
// cache's owner is done and one of its readers is not: a checkpoint there
// could not resume (the owner's keys are not kept).
func (s shapes) inSharedSpan(next int) bool {
	for r, o := range s.owner {
		if o < next && next <= r {
			return true
		}
	}
	return false
}

// pad widens rows of heads·d values to heads·maxD, zeros after each head's d.
func (s shapes) pad(q []float32, d int) []float32 {
	if d == s.maxD {
		return q
	}
	n := len(q) / (s.heads * d)
	out := make([]float32, n*s.heads*s.maxD)
	for i := range n * s.heads {
		copy(out[i*s.maxD:i*s.maxD+d], q[i*d:(i+1)*d])
	}
	return out
}

// groupStats joins the statistics of the layers reading owner's cache
// (owner first): rows concatenated, Gram matrices and sums added.
func (st *Stats) groupStats(owner, d int) LayerStats {
	var out LayerStats
	folds := true // the fold statistics count only if every member has them
	for l, o := range st.Meta.KVOwner {
		if o == owner {
			out.add(st.Layers[l])
			folds = folds && st.Layers[l].FoldGram[0] != nil
		}
	}
	if folds && out.Rows == nil {
		for l, o := range st.Meta.KVOwner {
			if o == owner {
				out.addFoldStats(st.Layers[l])
			}
		}
	}
	return out
}
