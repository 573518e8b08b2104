package eval

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// refHeadRecall is HeadRecall as it was before it was made fast (a stable
// sort per query and method), kept as the test oracle. It evaluates one head. For every query i that sees at least
// MinKeys keys (j <= i, within the sliding window if any), each method keeps
// ceil(n/r) of its n keys and the attention mass on the kept keys is summed.
func refHeadRecall(h Head, opt Options) (*HeadStats, error) {
	opt = opt.withDefaults()
	seq := len(h.Keys)
	if len(h.Queries) != seq {
		return nil, fmt.Errorf("%d queries but %d keys", len(h.Queries), seq)
	}
	for _, r := range opt.Ratios {
		if r < 1 {
			return nil, fmt.Errorf("compression ratio %d < 1", r)
		}
	}
	// Static keep scores.
	qf := make([]float64, seq)
	kn := make([]float64, seq)
	rnd := make([]float64, seq)
	rng := rand.New(rand.NewPCG(h.Seed, 0x9e3779b97f4a7c15))
	for j, k := range h.Keys {
		qf[j] = QFilterScore(k, h.Filter)
		kn[j] = KNormScore(k)
		rnd[j] = rng.Float64()
	}
	orders := map[string][]int{QFilters: staticOrder(qf), KNorm: staticOrder(kn), Random: staticOrder(rnd)}

	st := &HeadStats{Recall: make([][]float64, len(RecallMethods))}
	for m := range st.Recall {
		st.Recall[m] = make([]float64, len(opt.Ratios))
	}
	received := make([]float64, seq) // attention received, summed over queries
	seenBy := make([]int, seq)       // number of queries that see each key
	keep := make([]int, len(opt.Ratios))
	cand := make([]int, 0, seq)
	for i := 0; i < seq; i++ {
		lo := 0
		if h.Window > 0 && i-h.Window+1 > 0 {
			lo = i - h.Window + 1
		}
		p := AttentionSink(h.Queries[i], h.Keys, lo, i, h.Scale, h.Softcap, h.sinkOf())
		for j := lo; j <= i; j++ {
			received[j] += p[j-lo]
			seenBy[j]++
		}
		n := i - lo + 1
		if n < opt.MinKeys {
			continue
		}
		st.Queries++
		for r, ratio := range opt.Ratios {
			keep[r] = Keep(n, ratio)
		}
		for m, method := range RecallMethods {
			cand = cand[:0]
			switch method {
			case Oracle:
				for j := lo; j <= i; j++ {
					cand = append(cand, j)
				}
				slices.SortStableFunc(cand, func(a, b int) int {
					switch pa, pb := p[a-lo], p[b-lo]; {
					case pa > pb:
						return -1
					case pa < pb:
						return 1
					}
					return 0
				})
			case Streaming:
				cand = append(cand, StreamingOrder(lo, i, opt.Sinks)...)
			default:
				for _, j := range orders[method] {
					if j >= lo && j <= i {
						cand = append(cand, j)
					}
				}
			}
			refAccumulate(st.Recall[m], cand, p, lo, keep)
		}
	}

	mean := make([]float64, seq)
	for j := range mean {
		mean[j] = received[j] / float64(seenBy[j])
	}
	stream := make([]float64, seq)
	for j := range stream {
		stream[j] = float64(j)
		if j < opt.Sinks {
			stream[j] = float64(seq + opt.Sinks - j)
		}
	}
	byMethod := map[string][]float64{QFilters: qf, KNorm: kn, Streaming: stream, Random: rnd}
	st.Spearman = make([]float64, len(ScoreMethods))
	for m, method := range ScoreMethods {
		st.Spearman[m] = Spearman(byMethod[method], mean)
	}
	return st, nil
}

// refAccumulate adds to sums[r] the attention mass of the first keep[r] keys of
// order (key indexes; p is indexed from lo).
func refAccumulate(sums []float64, order []int, p []float64, lo int, keep []int) {
	prefix := make([]float64, len(order)+1)
	for i, j := range order {
		prefix[i+1] = prefix[i] + p[j-lo]
	}
	for r, k := range keep {
		sums[r] += prefix[min(k, len(order))]
	}
}

// refContextRecall is ContextRecall as it was before it was made fast, kept
// as the test oracle.
func refContextRecall(g ContextGroup, opt ContextOptions) (*ContextStats, error) {
	opt = opt.withDefaults()
	seq, C := len(g.Keys), opt.Context
	if C < 2 || C >= seq {
		return nil, fmt.Errorf("context of %d tokens in a sequence of %d: need 2 <= context < sequence", C, seq)
	}
	for _, r := range opt.Ratios {
		if r < 1 {
			return nil, fmt.Errorf("compression ratio %d < 1", r)
		}
	}
	heads := len(g.Queries)
	// p[h][i-C][j]: attention of continuation query i of head h on context key j.
	p := make([][][]float64, heads)
	mass := make([][]float64, heads) // its total on the context
	// received[j] sums, over the group's continuation queries, key j's share
	// of each query's attention to the context: the recall below is linear
	// in the kept set with these weights, so its top keys are the best set
	// (raw sums would favour the queries that look at the context most).
	received := make([]float64, C)
	for h, qs := range g.Queries {
		if len(qs) != seq {
			return nil, fmt.Errorf("%d queries but %d keys", len(qs), seq)
		}
		p[h] = make([][]float64, seq-C)
		mass[h] = make([]float64, seq-C)
		for i := C; i < seq; i++ {
			lo := windowStart(i, g.Window, g.Chunk)
			a := AttentionSink(qs[i], g.Keys, lo, i, g.Scale, g.Softcap, g.sinkOf(h))
			row := make([]float64, C)
			for j := lo; j < C; j++ {
				row[j] = a[j-lo]
				mass[h][i-C] += row[j]
			}
			if m := mass[h][i-C]; m > 0 {
				for j := lo; j < C; j++ {
					received[j] += row[j] / m
				}
			}
			p[h][i-C] = row
		}
	}

	scores := map[string][]float64{
		Oracle:   received,
		QFilters: make([]float64, C),
		KNorm:    make([]float64, C),
		Random:   make([]float64, C),
	}
	rng := rand.New(rand.NewPCG(g.Seed, 0x9e3779b97f4a7c15))
	for j, k := range g.Keys[:C] {
		scores[QFilters][j] = QFilterScore(k, g.Filter)
		scores[KNorm][j] = KNormScore(k)
		scores[Random][j] = rng.Float64()
	}
	orders := map[string][]int{Streaming: StreamingOrder(0, C-1, opt.Sinks)}
	for name, s := range scores {
		orders[name] = staticOrder(s)
	}
	orders[SnapKV] = snapOrder(g, C, opt.Window, opt.Kernel)
	if g.ExpMean != nil {
		order, err := expectedOrder(g, C, opt.Sinks)
		if err != nil {
			return nil, err
		}
		orders[ExpectedAttention] = order
	}

	st := &ContextStats{Recall: make([][]float64, len(ContextMethods))}
	kept := make([]bool, C)
	for m, method := range ContextMethods {
		st.Recall[m] = make([]float64, len(opt.Ratios))
		order, ok := orders[method]
		if !ok {
			continue
		}
		for r, ratio := range opt.Ratios {
			clear(kept)
			for _, j := range order[:KeepKVPress(C, ratio)] {
				kept[j] = true
			}
			for h := range p {
				for t, row := range p[h] {
					if mass[h][t] == 0 {
						continue
					}
					var k float64
					for j, v := range row {
						if kept[j] {
							k += v
						}
					}
					st.Recall[m][r] += k / mass[h][t]
				}
			}
		}
	}
	for h := range mass {
		for _, v := range mass[h] {
			if v > 0 {
				st.Queries++
			}
		}
	}
	return st, nil
}
