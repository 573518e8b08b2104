package eval

import (
	"context"
	"fmt"
	"math"

	"github.com/qfilters/qfilters/model"
)

// ScoreFunc is a keep score of a cached key of layer l, kv head g at token
// position pos: the entry with the lowest score is evicted first.
type ScoreFunc func(l, g, pos int, key []float32) float64

// Victim returns the index of the entry to evict among entries at positions
// pos with keep scores score: the lowest score (ties: the oldest) among the
// entries that are neither in the protected recent window (the window
// newest positions) nor sinks (positions < sinks). It returns -1 when every
// entry is protected.
func Victim(pos []int, score []float64, window, sinks int) int {
	newest := math.MinInt
	for _, p := range pos {
		newest = max(newest, p)
	}
	best := -1
	for i, p := range pos {
		if p < sinks || p > newest-window {
			continue
		}
		if best < 0 || score[i] < score[best] || (score[i] == score[best] && p < pos[best]) {
			best = i
		}
	}
	return best
}

// Evictor caps every layer's and kv head's cache at Size entries by evicting,
// after each decoding step, the entries Victim picks.
type Evictor struct {
	Size   int       // entries kept per layer and kv head
	Window int       // the most recent Window tokens are never evicted
	Sinks  int       // tokens at positions < Sinks are never evicted
	Score  ScoreFunc // keep score

	scores [][][]float64 // parallel to the cache entries
}

// Check reports a configuration that cannot hold the cache at Size.
func (e *Evictor) Check() error {
	if e.Size <= 0 {
		return fmt.Errorf("cache size must be positive, got %d", e.Size)
	}
	if e.Window < 0 {
		return fmt.Errorf("window must be >= 0, got %d", e.Window)
	}
	if e.Window+e.Sinks >= e.Size {
		return fmt.Errorf("window (%d) + sinks (%d) must be smaller than the cache size (%d)", e.Window, e.Sinks, e.Size)
	}
	return nil
}

// Compress scores the entries added since the last call and evicts until
// every head holds at most Size entries. It returns the positions evicted,
// per layer and kv head (for tests and tracing).
func (e *Evictor) Compress(c *model.KVCache) [][][]int {
	if e.scores == nil {
		e.scores = make([][][]float64, len(c.Layers))
		for l := range c.Layers {
			e.scores[l] = make([][]float64, len(c.Layers[l]))
		}
	}
	evicted := make([][][]int, len(c.Layers))
	for l := range c.Layers {
		evicted[l] = make([][]int, len(c.Layers[l]))
		for g := range c.Layers[l] {
			hc := &c.Layers[l][g]
			sc := e.scores[l][g]
			for i := len(sc); i < len(hc.Keys); i++ {
				sc = append(sc, e.Score(l, g, hc.Pos[i], hc.Keys[i]))
			}
			for len(hc.Keys) > e.Size {
				v := Victim(hc.Pos, sc, e.Window, e.Sinks)
				if v < 0 {
					break
				}
				evicted[l][g] = append(evicted[l][g], hc.Pos[v])
				hc.Remove(v)
				sc = append(sc[:v], sc[v+1:]...)
			}
			e.scores[l][g] = sc
		}
	}
	return evicted
}

// Policy returns the keep score of a method for streaming generation:
// Q-Filters' -(f . K) with the layer's filters, K-norm's -||K||,
// Streaming-LLM's position (the oldest non-sink goes first) or a seeded
// random draw. filter(l, g) returns the q_filters of layer l, kv head g.
func Policy(method string, filter func(l, g int) []float32, seed uint64) (ScoreFunc, error) {
	switch method {
	case QFilters:
		return func(l, g, pos int, key []float32) float64 { return QFilterScore(key, filter(l, g)) }, nil
	case KNorm:
		return func(l, g, pos int, key []float32) float64 { return KNormScore(key) }, nil
	case Streaming:
		return func(l, g, pos int, key []float32) float64 { return float64(pos) }, nil
	case Random:
		return func(l, g, pos int, key []float32) float64 {
			return float64(mix(seed, uint64(l), uint64(g), uint64(pos))>>11) / (1 << 53)
		}, nil
	}
	return nil, fmt.Errorf("unknown eviction method %q", method)
}

// mix hashes its inputs (splitmix64 steps) into a uniform 64-bit value.
func mix(xs ...uint64) uint64 {
	h := uint64(0x243f6a8885a308d3)
	for _, x := range xs {
		h ^= x
		h += 0x9e3779b97f4a7c15
		h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9
		h = (h ^ (h >> 27)) * 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// StreamNLL decodes ids token by token with dec, evicting with ev after each
// step (nil ev: the full cache), and returns the summed negative
// log-likelihood of the predictions made at steps from onwards (of
// ids[from+1:]) and their number. It stops between steps once ctx is done.
func StreamNLL(ctx context.Context, dec *model.Decoder, ids []int, ev *Evictor, from int) (nll float64, n int, err error) {
	if ev != nil {
		fresh := *ev // the scores kept alongside the entries belong to one cache
		fresh.scores = nil
		ev = &fresh
	}
	cache := dec.NewCache()
	for t := 0; t+1 < len(ids); t++ {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		logits, err := dec.Step(ids[t], t, cache)
		if err != nil {
			return 0, 0, err
		}
		if t >= from {
			nll += NLL(logits, ids[t+1])
			n++
		}
		if ev != nil {
			ev.Compress(cache)
		}
	}
	return nll, n, nil
}

// NLL returns -log softmax(logits)[target].
func NLL(logits []float32, target int) float64 {
	maxL := math.Inf(-1)
	for _, x := range logits {
		maxL = math.Max(maxL, float64(x))
	}
	var sum float64
	for _, x := range logits {
		sum += math.Exp(float64(x) - maxL)
	}
	return math.Log(sum) + maxL - float64(logits[target])
}
