package model

import (
	"math"
	"sort"
)

// routing is how a sparse MoE block picks a token's experts and weighs them.
type routing int

const (
	// softmaxRouting (Mixtral, Qwen MoE, Granite MoE): softmax over every
	// expert's logit, the top k kept, renormalized to sum to one when
	// normTopK.
	softmaxRouting routing = iota
	// sigmoidBiasRouting (GLM-4.5, DeepSeek-V3): scores sigmoid(logit); the
	// top k are chosen on score + correction bias (within the best groups
	// when grouped) and weighed by their scores, renormalized when normTopK,
	// times the routed scale.
	sigmoidBiasRouting
	// sigmoidTopKRouting (Llama 4): the top k logits, weighed by their
	// sigmoid; the weight multiplies the expert's input.
	sigmoidTopKRouting
)

// choice is one expert picked for a token, with its weight.
type choice struct {
	expert int
	weight float32
}

// router holds one MoE block's per-token scratch.
type router struct {
	probs   []float64
	key     []float64 // what the top k are chosen on
	order   []int
	choices []choice
}

func newRouter(n int) *router {
	return &router{probs: make([]float64, n), key: make([]float64, n), order: make([]int, n)}
}

// route returns the experts picked for a token with router logits row.
func (m *moeMLP) route(r *router, row []float32) []choice {
	n := len(row)
	switch m.routing {
	case sigmoidBiasRouting:
		for e, v := range row {
			s := float32(1 / (1 + math.Exp(-float64(v))))
			r.probs[e] = float64(s)
			r.key[e] = float64(s + m.bias[e])
		}
		if g, keep := m.groups[0], m.groups[1]; g > 1 {
			maskGroups(r.key, g, keep)
		}
	case sigmoidTopKRouting:
		for e, v := range row {
			r.key[e] = float64(v)
			r.probs[e] = float64(float32(1 / (1 + math.Exp(-float64(v)))))
		}
	default:
		maxL := math.Inf(-1)
		for _, v := range row {
			maxL = math.Max(maxL, float64(v))
		}
		var sum float64
		for e, v := range row {
			r.probs[e] = math.Exp(float64(v) - maxL)
			sum += r.probs[e]
		}
		for e := range r.probs {
			r.probs[e] = float64(float32(r.probs[e] / sum))
			r.key[e] = r.probs[e]
		}
	}
	for e := range r.order[:n] {
		r.order[e] = e
	}
	sort.SliceStable(r.order, func(a, b int) bool { return r.key[r.order[a]] > r.key[r.order[b]] })
	top := r.order[:m.topK]
	r.choices = r.choices[:0]
	switch m.routing {
	case sigmoidBiasRouting:
		// In float32, as transformers computes it.
		var den float32
		for _, e := range top {
			den += float32(r.probs[e])
		}
		den += 1e-20
		scale := m.scale
		if scale == 0 {
			scale = 1
		}
		for _, e := range top {
			w := float32(r.probs[e])
			if m.normTopK {
				w /= den
			}
			r.choices = append(r.choices, choice{e, w * scale})
		}
	case sigmoidTopKRouting:
		for _, e := range top {
			r.choices = append(r.choices, choice{e, float32(r.probs[e])})
		}
	default:
		var sum float64
		for _, e := range top {
			sum += r.probs[e]
		}
		for _, e := range top {
			w := r.probs[e]
			if m.normTopK {
				w /= sum
			}
			r.choices = append(r.choices, choice{e, float32(w)})
		}
	}
	return r.choices
}

// maskGroups keeps the keys of the keep best of g equal groups of experts,
// ranked by the sum of their two best keys, and sets the others' to 0 (as
// transformers' masked_fill does: 0, not -inf).
func maskGroups(key []float64, g, keep int) {
	size := len(key) / g
	score := make([]float64, g)
	for i := range score {
		grp := append([]float64(nil), key[i*size:(i+1)*size]...)
		sort.Sort(sort.Reverse(sort.Float64Slice(grp)))
		score[i] = float32sum(grp[:min(2, len(grp))])
	}
	order := make([]int, g)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return score[order[a]] > score[order[b]] })
	for _, i := range order[keep:] {
		for j := i * size; j < (i+1)*size; j++ {
			key[j] = 0
		}
	}
}

func float32sum(v []float64) float64 {
	var s float32
	for _, x := range v {
		s += float32(x)
	}
	return float64(s)
}
