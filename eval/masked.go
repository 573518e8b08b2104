package eval

import (
	"container/heap"
	"context"
	"math"

	"github.com/qfilters/qfilters/model"
)

// Streaming generation without decoding. An Evictor's keep score is fixed
// when a key is written (Q-Filters, K-norm, position, a seeded draw), and an
// evicted key never comes back, so each key of each layer and kv head has a
// lifetime: the decoder's query at step t sees key j iff j <= t < until[j].
// Lifetimes computes them by replaying Compress's rule on the scores alone;
// a single forward pass whose attention is masked by them (kernels.
// AttentionLive) then gives every step's logits at once, at prefill speed.
//
// The rule replayed, from StreamNLL and Compress: at step t the decoder
// appends token t and attends over the cache (so the query at t also sees
// the key evicted right after it), then evicts while the cache holds more
// than Size entries, each time the lowest score (ties: the oldest) among the
// entries that are neither sinks (position < Sinks) nor within the Window
// newest positions (position > t - Window). The cache grows by one entry
// per step, so at most one is evicted per step, and a position becomes
// evictable at step position+Window. The query at step t therefore sees the
// tokens t-Window..t, the sinks, and the best-scored Size-Window-sinks of
// the older ones: the whole causal prefix until step Size.

// Lifetimes returns, for keys of kv head g of layer l at positions
// 0..len(keys)-1, the first step whose query no longer sees each
// (math.MaxInt32: never evicted).
func (e *Evictor) Lifetimes(l, g int, keys [][]float32) []int32 {
	until := make([]int32, len(keys))
	for j := range until {
		until[j] = math.MaxInt32
	}
	var ev evictable
	size := 0
	for t := range keys {
		size++
		if p := t - e.Window; p >= 0 && p >= e.Sinks {
			heap.Push(&ev, entry{e.Score(l, g, p, keys[p]), p})
		}
		for size > e.Size && ev.Len() > 0 {
			v := heap.Pop(&ev).(entry)
			until[v.pos] = int32(t + 1)
			size--
		}
	}
	return until
}

type entry struct {
	score float64
	pos   int
}

// evictable is a min-heap in Victim's order: lowest score, then oldest.
type evictable []entry

func (h evictable) Len() int { return len(h) }
func (h evictable) Less(a, b int) bool {
	return h[a].score < h[b].score || (h[a].score == h[b].score && h[a].pos < h[b].pos)
}
func (h evictable) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *evictable) Push(x any)   { *h = append(*h, x.(entry)) }
func (h *evictable) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// MaskedNLL is StreamNLL in one forward pass: the summed negative
// log-likelihood of the predictions made at steps from onwards (of
// ids[from+1:]) by streaming generation with the cache ev keeps (nil: the
// full cache), and their number.
func MaskedNLL(ctx context.Context, m *model.Model, ids []int, ev *Evictor, from int) (float64, int, error) {
	nll, n, err := maskedNLLs(ctx, m, ids, []*Evictor{ev}, from, nil)
	if err != nil {
		return 0, 0, err
	}
	return nll[0], n, nil
}

// maskedNLLs runs ids once per evictor, as sequences of one batched forward
// pass, and returns each one's summed NLL from step from on and the number
// of predictions. step, if set, is called after each layer and after the
// logits.
func maskedNLLs(ctx context.Context, m *model.Model, ids []int, evs []*Evictor, from int, step func()) ([]float64, int, error) {
	if step == nil {
		step = func() {}
	}
	c := m.Config
	T := len(ids)
	emb, err := m.Embedding()
	if err != nil {
		return nil, 0, err
	}
	batch := make([]int, 0, len(evs)*T)
	seqLens := make([]int, len(evs))
	for i := range evs {
		batch = append(batch, ids...)
		seqLens[i] = T
	}
	h, err := emb.Embed(batch)
	if err != nil {
		return nil, 0, err
	}
	stop := func() bool { return ctx.Err() != nil }
	for l := range c.Layers {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		layer, err := m.Layer(l, true)
		if err != nil {
			return nil, 0, err
		}
		layer.Stop = stop
		layer.Tokens = batch // per-layer embeddings (Gemma 4) index the tokens
		d, G := c.HeadDimOf(l), c.KVHeadsOf(l)
		layer.Lifetimes = func(l, s int, keys []float32) [][]int32 {
			ev := evs[s]
			if ev == nil {
				return nil // the full cache: plain causal attention
			}
			out := make([][]int32, G)
			// A layer reading another's cache (Gemma 4) sees what that
			// cache keeps: its owner's evictions, as the decoder does.
			owner := c.CacheOwner(l)
			parallel(G, func(g int) { out[g] = ev.Lifetimes(owner, g, headRows(keys, G, g, d)) })
			return out
		}
		layer.Forward(h, seqLens, nil)
		step()
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	// Logits in chunks of rows: a large vocabulary times thousands of rows
	// would not fit.
	nll := make([]float64, len(evs))
	n := max(T-1-from, 0)
	chunk := max(1, min(512, (1<<25)/max(c.Vocab, 1)))
	hidden := c.Hidden
	for s := range evs {
		for t0 := from; t0 < T-1; t0 += chunk {
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
			t1 := min(t0+chunk, T-1)
			rows := h[(s*T+t0)*hidden : (s*T+t1)*hidden]
			logits, err := m.Logits(rows, t1-t0)
			if err != nil {
				return nil, 0, err
			}
			for t := t0; t < t1; t++ {
				nll[s] += NLL(logits[(t-t0)*c.Vocab:(t-t0+1)*c.Vocab], ids[t+1])
			}
		}
	}
	step()
	return nll, n, nil
}
