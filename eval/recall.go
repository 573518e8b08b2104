// Package eval measures how well Q-Filters select the keys that matter: the
// share of true attention mass kept at a compression ratio (attention
// recall), the rank correlation between a method's key scores and the
// attention keys receive, and the perplexity of streaming generation with a
// capped KV cache evicted by each method.
//
// Every method ranks keys by a keep score: the higher, the longer a key
// stays. Q-Filters' keep score of key K is -(f . K), the score kvpress's
// QFilterPress computes (it prunes the lowest), i.e. the projection of K on
// -f; K-norm's is -||K|| (the keys with the lowest norm are kept);
// Streaming-LLM keeps a few sink tokens and the most recent ones.
package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Method names.
const (
	Oracle    = "oracle"
	QFilters  = "qfilters"
	KNorm     = "knorm"
	Streaming = "streaming"
	Random    = "random"
	Full      = "full"
)

// RecallMethods are the methods of the attention recall, in report order
// (the oracle, an upper bound, first).
var RecallMethods = []string{Oracle, QFilters, KNorm, Streaming, Random}

// ScoreMethods are the methods whose key scores are correlated with the
// attention keys receive.
var ScoreMethods = []string{QFilters, KNorm, Streaming, Random}

// DefaultRatios are the compression ratios of the recall.
var DefaultRatios = []int{2, 4, 8, 16, 32}

// DefaultSinks is Streaming-LLM's number of attention-sink tokens.
const DefaultSinks = 4

// QFilterScore is the keep score of a key under Q-Filters: -(filter . key),
// kvpress's score (the lowest are pruned).
func QFilterScore(key, filter []float32) float64 {
	var s float64
	for t, k := range key {
		s += float64(filter[t]) * float64(k)
	}
	return -s
}

// KNormScore is the keep score of a key under K-norm: minus its L2 norm (the
// keys with the lowest norm are kept).
func KNormScore(key []float32) float64 {
	var s float64
	for _, k := range key {
		s += float64(k) * float64(k)
	}
	return -math.Sqrt(s)
}

// Head is one attention head over one sequence, on plain slices.
type Head struct {
	Queries [][]float32 // [seq][headDim], post-RoPE
	Keys    [][]float32 // [seq][headDim], post-RoPE, of the head's kv head
	Filter  []float32   // q_filters of the head's kv head
	Scale   float64     // attention scale
	Softcap float64     // attention logit soft-capping, 0 for none
	Window  int         // sliding window of the layer, 0 for full attention
	Chunk   int         // chunked attention: a query sees only its own chunk of Chunk positions, 0 for none
	Seed    uint64      // seed of the random method for this head
	// Sink, when HasSink, is the head's learned attention-sink logit
	// (gpt-oss): one more term e^Sink, with no key and no value, in every
	// softmax denominator. The weights of the keys then sum to less than 1,
	// and the recall is the kept keys' share of the whole (sink-including)
	// attention: keeping every key recalls 1 - the sink's share.
	Sink    float64
	HasSink bool
}

// NoSink is the sink logit of a head without a learned sink: e^-Inf = 0
// joins no denominator.
var NoSink = math.Inf(-1)

// sinkOf is h's sink logit, NoSink without one.
func (h Head) sinkOf() float64 {
	if h.HasSink {
		return h.Sink
	}
	return NoSink
}

// HeadStats is what one head contributes to the evaluation.
type HeadStats struct {
	// Recall[m][r] is the sum over evaluated queries of the attention mass
	// kept by RecallMethods[m] at ratio r.
	Recall  [][]float64
	Queries int // evaluated queries (with at least MinKeys keys)
	// Spearman[m] is the rank correlation between ScoreMethods[m]'s keep
	// scores and the mean attention each key receives from the queries that
	// see it; NaN when undefined (constant scores or attention).
	Spearman []float64
}

// Options of the recall computation.
type Options struct {
	Ratios  []int
	MinKeys int // queries that see fewer keys are skipped (default: 2 * max ratio)
	Sinks   int // Streaming-LLM sink tokens (default DefaultSinks; < 0 for none)
}

func (o Options) withDefaults() Options {
	if len(o.Ratios) == 0 {
		o.Ratios = DefaultRatios
	}
	if o.MinKeys <= 0 {
		o.MinKeys = 2 * slices.Max(o.Ratios)
	}
	if o.Sinks == 0 {
		o.Sinks = DefaultSinks
	} else if o.Sinks < 0 {
		o.Sinks = 0
	}
	return o
}

// Keep returns how many of n keys are kept at compression ratio r: ceil(n/r).
func Keep(n, r int) int { return (n + r - 1) / r }

// KeepKVPress returns how many of n keys kvpress's ScorerPress keeps at
// compression ratio r, i.e. compression_ratio = 1 - 1/r: n_kept =
// int(n * (1 - compression_ratio)), in float64 as Python computes it. This
// is floor(n/r) for a power-of-two r, and one less for some others (99 keys
// at x3 keep 32); 0 when n < r. The context recall keeps this many.
func KeepKVPress(n, r int) int {
	ratio := 1 - 1/float64(r)
	return int(float64(n) * (1 - ratio))
}

// Attention returns the softmax attention of query q over keys[lo..hi]
// (inclusive), with scale and optional soft-capping, in float64.
func Attention(q []float32, keys [][]float32, lo, hi int, scale, softcap float64) []float64 {
	return AttentionSink(q, keys, lo, hi, scale, softcap, NoSink)
}

// AttentionSink is Attention with a learned sink logit (gpt-oss) in the
// denominator: p_j = e^(s_j) / (Σ_k e^(s_k) + e^sink), which sum to less
// than 1. NoSink gives Attention's weights bit for bit.
func AttentionSink(q []float32, keys [][]float32, lo, hi int, scale, softcap, sink float64) []float64 {
	p := make([]float64, hi-lo+1)
	maxS := math.Inf(-1)
	for j := lo; j <= hi; j++ {
		var s float64
		for t, x := range q {
			s += float64(x) * float64(keys[j][t])
		}
		s *= scale
		if softcap > 0 {
			s = softcap * math.Tanh(s/softcap)
		}
		p[j-lo] = s
		maxS = math.Max(maxS, s)
	}
	hasSink := !math.IsInf(sink, -1)
	if hasSink {
		maxS = math.Max(maxS, sink)
	}
	var sum float64
	for i := range p {
		p[i] = math.Exp(p[i] - maxS)
		sum += p[i]
	}
	if hasSink {
		sum += math.Exp(sink - maxS)
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

// staticOrder returns the key indexes sorted by descending keep score (ties:
// the later position first, deterministic).
func staticOrder(scores []float64) []int {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return b - a
	})
	return order
}

// StreamingOrder returns the keep priority of Streaming-LLM over the keys
// lo..hi: the first sinks keys, then the most recent first.
func StreamingOrder(lo, hi, sinks int) []int {
	order := make([]int, 0, hi-lo+1)
	s := min(lo+sinks, hi+1)
	for j := lo; j < s; j++ {
		order = append(order, j)
	}
	for j := hi; j >= s; j-- {
		order = append(order, j)
	}
	return order
}

// HeadRecall evaluates one head. For every query i that sees at least
// MinKeys keys (j <= i, within the sliding window if any), each method keeps
// ceil(n/r) of its n keys and the attention mass on the kept keys is summed.
func HeadRecall(h Head, opt Options) (*HeadStats, error) {
	opt = opt.withDefaults()
	if err := checkHead(h, opt); err != nil {
		return nil, err
	}
	d := 0
	if len(h.Keys) > 0 {
		d = len(h.Keys[0])
	}
	return headRecall(h, toF64(h.Keys, d), opt, nil, nil)
}

func checkHead(h Head, opt Options) error {
	if len(h.Queries) != len(h.Keys) {
		return fmt.Errorf("%d queries but %d keys", len(h.Queries), len(h.Keys))
	}
	for _, r := range opt.Ratios {
		if r < 1 {
			return fmt.Errorf("compression ratio %d < 1", r)
		}
	}
	return nil
}

// rowHook, when set, sees every attention row of the head: p[lo..i] holds
// query i's attention (p is indexed by key position).
type rowHook func(i, lo int, p []float64)

// headRecall is HeadRecall on keys already converted to float64 (k,
// row-major [seq][headDim]); hook sees every row; stop, polled every few
// queries, ends the work early (the stats are then incomplete).
//
// Q-Filters', K-norm's and the random method's scores do not depend on the
// query: their keys are ranked once, and each query keeps the first
// ceil(n/r) of its keys in that order, found by walking it with a row that
// is zero outside the query's keys (so the running sum is the one the
// filtered order would give, bit for bit). Streaming-LLM's kept keys are
// two ranges; the oracle's are each query's largest weights, by selection.
func headRecall(h Head, k []float64, opt Options, hook rowHook, stop func() bool) (*HeadStats, error) {
	seq := len(h.Keys)
	// Static keep scores.
	qf := make([]float64, seq)
	kn := make([]float64, seq)
	rnd := make([]float64, seq)
	rng := rand.New(rand.NewPCG(h.Seed, 0x9e3779b97f4a7c15))
	for j, key := range h.Keys {
		qf[j] = QFilterScore(key, h.Filter)
		kn[j] = KNormScore(key)
		rnd[j] = rng.Float64()
	}
	orders := map[string][]int{QFilters: staticOrder(qf), KNorm: staticOrder(kn), Random: staticOrder(rnd)}

	st := &HeadStats{Recall: make([][]float64, len(RecallMethods))}
	for m := range st.Recall {
		st.Recall[m] = make([]float64, len(opt.Ratios))
	}
	nr := len(opt.Ratios)
	byKeep := make([]int, nr) // ratio indexes, largest keep (smallest ratio) first
	for r := range byKeep {
		byKeep[r] = r
	}
	slices.SortStableFunc(byKeep, func(a, b int) int { return opt.Ratios[a] - opt.Ratios[b] })
	received := make([]float64, seq) // attention received, summed over queries
	seenBy := make([]int, seq)       // number of queries that see each key
	keep := make([]int, nr)
	p := make([]float64, seq) // query i's row, zero outside lo..i
	sel := new(topSelector)
	var q []float64
	lo := 0
	for i := 0; i < seq; i++ {
		if stop != nil && i%64 == 0 && stop() {
			return st, nil
		}
		prevLo := lo
		lo = windowStart(i, h.Window, h.Chunk)
		clear(p[prevLo:lo])
		q = toF64Row(q, h.Queries[i])
		attnRow(p, q, k, lo, i, h.Scale, h.Softcap, h.sinkOf())
		if hook != nil {
			hook(i, lo, p)
		}
		for j := lo; j <= i; j++ {
			received[j] += p[j]
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
			switch method {
			case Oracle:
				sel.topSums(p[lo:i+1], keep, byKeep, st.Recall[m])
			case Streaming:
				streamingSums(st.Recall[m], p, lo, i, opt.Sinks, keep, byKeep)
			default:
				walkSums(st.Recall[m], orders[method], p, lo, i, keep, byKeep)
			}
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

func toF64Row(dst []float64, x []float32) []float64 {
	dst = dst[:0]
	for _, v := range x {
		dst = append(dst, float64(v))
	}
	return dst
}

// walkSums adds to sums[r] the attention mass of the first keep[r] keys of
// order among lo..i; p is zero outside lo..i, so adding every visited key's
// weight gives the sums of the filtered order exactly. byKeep lists the
// ratio indexes from the largest keep.
func walkSums(sums []float64, order []int, p []float64, lo, i int, keep, byKeep []int) {
	s := len(byKeep) - 1 // next (smallest pending) keep
	next := keep[byKeep[s]]
	width := uint(i - lo)
	var sum float64
	count := 0
	for _, j := range order {
		sum += p[j]
		if uint(j-lo) <= width {
			count++
		}
		for count == next {
			sums[byKeep[s]] += sum
			if s--; s < 0 {
				return
			}
			next = keep[byKeep[s]]
		}
	}
}

// streamingSums adds to sums[r] the attention mass Streaming-LLM keeps among
// lo..i with keep[r] keys: the first sinks keys, then the most recent (the
// order StreamingOrder gives, summed in that order).
func streamingSums(sums []float64, p []float64, lo, i, sinks int, keep, byKeep []int) {
	s := len(byKeep) - 1
	next := keep[byKeep[s]]
	var sum float64
	count := 0
	emit := func() bool {
		for count == next {
			sums[byKeep[s]] += sum
			if s--; s < 0 {
				return true
			}
			next = keep[byKeep[s]]
		}
		return false
	}
	if emit() {
		return
	}
	end := min(lo+sinks, i+1)
	for j := lo; j < end; j++ {
		sum += p[j]
		count++
		if emit() {
			return
		}
	}
	for j := i; j >= end; j-- {
		sum += p[j]
		count++
		if emit() {
			return
		}
	}
}
