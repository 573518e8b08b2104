package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Context recall is kvpress's scenario: a prompt (the context) is compressed
// once after prefill, then the tokens that follow attend to what is left.
// Per layer and key/value head, each method ranks the context keys once and
// keeps as many as kvpress's ScorerPress does at compression_ratio 1 - 1/r
// (KeepKVPress: int(C·(1 - compression_ratio)), floor(C/r) for a power of
// two); every continuation query (every query head of the
// group) attends with its softmax over all its causal keys, and its context
// recall is the share of its attention to the context that falls on kept keys.

// More method names (context recall only).
const (
	SnapKV            = "snapkv"
	ExpectedAttention = "expected_attention"
)

// ContextMethods are the methods of the context recall, in report order;
// expected_attention only runs with query statistics.
var ContextMethods = []string{Oracle, QFilters, ExpectedAttention, SnapKV, KNorm, Streaming, Random}

// kvpress's defaults for SnapKVPress and ExpectedAttentionPress.
const (
	SnapWindow     = 64  // SnapKVPress.window_size
	SnapKernel     = 5   // SnapKVPress.kernel_size
	FuturePosition = 512 // ExpectedAttentionPress.n_future_positions
)

// ContextGroup is one key/value head of one layer over one sequence, with the
// query heads of its group.
type ContextGroup struct {
	Queries [][][]float32 // [group heads][seq][headDim], post-RoPE
	Keys    [][]float32   // [seq][headDim], post-RoPE
	Values  [][]float32   // [seq][headDim]; needed by expected_attention only
	Filter  []float32     // q_filters of the kv head
	Scale   float64
	Softcap float64
	Window  int // sliding window of the layer, 0 for full attention
	Chunk   int // chunked attention: a query sees only its own chunk of Chunk positions, 0 for none
	Seed    uint64
	// Sinks [group heads], when not nil, are the heads' learned attention-sink
	// logits (gpt-oss; see Head.Sink). They join every softmax, so SnapKV's
	// scores see them; the context recall, a share of each query's attention
	// to the context, does not (every weight of a query shares one
	// denominator).
	Sinks []float64
	// ExpMean [group heads][headDim] and ExpCov [group heads][headDim·headDim]
	// are the query statistics of the group's heads, already rotated by the
	// average RoPE rotation of the future positions (see AverageRotation);
	// nil skips expected_attention.
	ExpMean [][]float64
	ExpCov  [][]float64
}

// ContextOptions of the context recall.
type ContextOptions struct {
	Context int // the first Context tokens are the context
	Ratios  []int
	Sinks   int // Streaming-LLM's and Expected Attention's sink tokens (< 0: none)
	// SnapKV's observation window (default SnapWindow, at most Context-1)
	// and pooling kernel (default SnapKernel).
	Window, Kernel int
}

func (o ContextOptions) withDefaults() ContextOptions {
	if len(o.Ratios) == 0 {
		o.Ratios = DefaultRatios
	}
	if o.Sinks == 0 {
		o.Sinks = DefaultSinks
	} else if o.Sinks < 0 {
		o.Sinks = 0
	}
	if o.Window <= 0 {
		o.Window = SnapWindow
	}
	o.Window = min(o.Window, o.Context-1)
	if o.Kernel <= 0 {
		o.Kernel = SnapKernel
	}
	return o
}

// ContextStats is what one group contributes: Recall[m][r] sums, over its
// continuation queries, the recall of ContextMethods[m] at ratio r; Queries
// counts them (queries whose attention to the context is zero, possible only
// with a sliding window, are left out).
type ContextStats struct {
	Recall  [][]float64
	Queries int
}

// ContextRecall evaluates one group.
func ContextRecall(g ContextGroup, opt ContextOptions) (*ContextStats, error) {
	opt = opt.withDefaults()
	if err := checkContext(g, opt); err != nil {
		return nil, err
	}
	seq, C := len(g.Keys), opt.Context
	d := len(g.Keys[0])
	k := toF64(g.Keys, d)
	p := make([]float64, seq)
	var q []float64
	accs := make([]*ctxAcc, len(g.Queries))
	for h, qs := range g.Queries {
		accs[h] = newCtxAcc(C, opt.Window)
		for i := C - opt.Window; i < seq; i++ {
			lo := windowStart(i, g.Window, g.Chunk)
			q = toF64Row(q, qs[i])
			attnRow(p, q, k, lo, i, g.Scale, g.Softcap, g.sinkOf(h))
			accs[h].row(i, lo, p)
		}
	}
	return contextFinish(g, opt, accs)
}

func checkContext(g ContextGroup, opt ContextOptions) error {
	seq, C := len(g.Keys), opt.Context
	if C < 2 || C >= seq {
		return fmt.Errorf("context of %d tokens in a sequence of %d: need 2 <= context < sequence", C, seq)
	}
	for _, r := range opt.Ratios {
		if r < 1 {
			return fmt.Errorf("compression ratio %d < 1", r)
		}
	}
	for _, qs := range g.Queries {
		if len(qs) != seq {
			return fmt.Errorf("%d queries but %d keys", len(qs), seq)
		}
	}
	if g.Sinks != nil && len(g.Sinks) != len(g.Queries) {
		return fmt.Errorf("%d attention sinks for %d query heads", len(g.Sinks), len(g.Queries))
	}
	return nil
}

// sinkOf is query head h's sink logit, NoSink without sinks.
func (g ContextGroup) sinkOf(h int) float64 {
	if g.Sinks == nil {
		return NoSink
	}
	return g.Sinks[h]
}

// ctxAcc is what one query head's attention rows contribute to its group's
// context recall.
type ctxAcc struct {
	C, w int
	// received[j] sums, over the continuation queries, key j's share of each
	// query's attention to the context (a learned sink's share of the
	// softmax, gpt-oss, cancels in it): the recall is linear in the kept set
	// with these weights, so its top keys are the best set (raw sums would
	// favour the queries that look at the context most), and a method's
	// recall summed over queries is the sum of received over its kept keys.
	received []float64
	queries  int       // continuation queries with attention on the context
	snap     []float64 // mean attention of the last w context queries on the keys before them
}

func newCtxAcc(C, w int) *ctxAcc {
	return &ctxAcc{C: C, w: w, received: make([]float64, C), snap: make([]float64, C-w)}
}

// row takes query i's attention p[lo..i] (indexed by key position).
func (a *ctxAcc) row(i, lo int, p []float64) {
	C, n := a.C, a.C-a.w
	switch {
	case i >= C:
		var mass float64
		for j := lo; j < C; j++ {
			mass += p[j]
		}
		if mass > 0 {
			a.queries++
			for j := lo; j < C; j++ {
				a.received[j] += p[j] / mass
			}
		}
	case i >= n:
		for j := max(lo, 0); j < n; j++ {
			a.snap[j] += p[j] / float64(a.w)
		}
	}
}

// contextFinish ranks the context keys by every method and sums the recall
// from the group's heads' rows.
func contextFinish(g ContextGroup, opt ContextOptions, accs []*ctxAcc) (*ContextStats, error) {
	C := opt.Context
	received := make([]float64, C)
	st := &ContextStats{Recall: make([][]float64, len(ContextMethods))}
	snap := make([][]float64, len(accs))
	for h, a := range accs {
		for j, x := range a.received {
			received[j] += x
		}
		st.Queries += a.queries
		snap[h] = a.snap
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
	orders[SnapKV] = snapOrderFrom(snap, C, opt.Window, opt.Kernel)
	if g.ExpMean != nil {
		order, err := expectedOrder(g, C, opt.Sinks)
		if err != nil {
			return nil, err
		}
		orders[ExpectedAttention] = order
	}
	for m, method := range ContextMethods {
		st.Recall[m] = make([]float64, len(opt.Ratios))
		order, ok := orders[method]
		if !ok {
			continue
		}
		for r, ratio := range opt.Ratios {
			var s float64
			for _, j := range order[:KeepKVPress(C, ratio)] {
				s += received[j]
			}
			st.Recall[m][r] = s
		}
	}
	return st, nil
}

// windowStart is the first key query i sees under a sliding window and
// chunked attention (0 for either: none).
func windowStart(i, window, chunk int) int {
	lo := 0
	if window > 0 && i-window+1 > 0 {
		lo = i - window + 1
	}
	if chunk > 0 {
		lo = max(lo, i-i%chunk)
	}
	return lo
}

// snapOrder ranks the context keys as kvpress's SnapKVPress does when the
// context is prefilled: the attention of the last w context queries on the
// keys before them (softmax over all their causal keys), averaged over those
// queries, smoothed by an average pool of width kernel (zero padded, divided
// by kernel), averaged over the group; the w window keys come first (kvpress
// gives them the maximum score), the most recent first.
func snapOrder(g ContextGroup, C, w, kernel int) []int {
	n := C - w
	means := make([][]float64, len(g.Queries))
	for h, qs := range g.Queries {
		means[h] = make([]float64, n)
		for i := n; i < C; i++ {
			lo := windowStart(i, g.Window, g.Chunk)
			a := AttentionSink(qs[i], g.Keys, lo, i, g.Scale, g.Softcap, g.sinkOf(h))
			for j := max(lo, 0); j < n; j++ {
				means[h][j] += a[j-lo] / float64(w)
			}
		}
	}
	return snapOrderFrom(means, C, w, kernel)
}

// snapOrderFrom is snapOrder from each head's mean attention of the window
// queries on the C-w keys before them.
func snapOrderFrom(means [][]float64, C, w, kernel int) []int {
	n := C - w
	score := make([]float64, n)
	half := kernel / 2
	for _, mean := range means {
		for j := range score {
			var s float64
			for t := j - half; t <= j+half; t++ {
				if t >= 0 && t < n {
					s += mean[t]
				}
			}
			score[j] += s / float64(kernel) / float64(len(means))
		}
	}
	order := make([]int, 0, C)
	for j := C - 1; j >= n; j-- {
		order = append(order, j)
	}
	return append(order, staticOrder(score)...)
}

// expectedOrder ranks the context keys as kvpress's ExpectedAttentionPress
// does from query statistics: per query head, the expected logit of key k
// under queries distributed with mean μ and covariance Σ (both rotated to
// the future positions) is μ·k/√d + kᵀΣk/(2d); a softmax over the keys after
// the sinks, averaged over the group and multiplied by the value norm, is
// the score; the sinks come first.
func expectedOrder(g ContextGroup, C, sinks int) ([]int, error) {
	sinks = min(sinks, C-1)
	if len(g.Values) < C {
		return nil, fmt.Errorf("expected attention needs the values of the %d context keys", C)
	}
	if len(g.ExpMean) != len(g.Queries) || len(g.ExpCov) != len(g.Queries) {
		return nil, fmt.Errorf("query statistics for %d heads, the group has %d", len(g.ExpMean), len(g.Queries))
	}
	d := len(g.Keys[0])
	n := C - sinks
	score := make([]float64, n)
	logit := make([]float64, n)
	for h := range g.Queries {
		mu, cov := g.ExpMean[h], g.ExpCov[h]
		if len(mu) != d || len(cov) != d*d {
			return nil, fmt.Errorf("query statistics of head dim %d, keys have %d", len(mu), d)
		}
		maxL := math.Inf(-1)
		for j := range logit {
			k := g.Keys[sinks+j]
			var lin, quad float64
			for a := range d {
				ka := float64(k[a])
				lin += mu[a] * ka
				var row float64
				for b := range d {
					row += cov[a*d+b] * float64(k[b])
				}
				quad += ka * row
			}
			logit[j] = lin/math.Sqrt(float64(d)) + quad/float64(d)/2
			maxL = math.Max(maxL, logit[j])
		}
		var sum float64
		for j := range logit {
			logit[j] = math.Exp(logit[j] - maxL)
			sum += logit[j]
		}
		for j := range logit {
			score[j] += logit[j] / sum / float64(len(g.Queries))
		}
	}
	for j := range score {
		var nv float64
		for _, x := range g.Values[sinks+j] {
			nv += float64(x) * float64(x)
		}
		score[j] *= math.Sqrt(nv)
	}
	order := make([]int, 0, C)
	for j := range sinks {
		order = append(order, j)
	}
	for _, j := range staticOrder(score) {
		order = append(order, sinks+j)
	}
	return order, nil
}

// AverageRotation returns the mean over positions of RoPE's rotation, as
// kvpress's apply_avg_rope builds it: for each rotating pair (i, i+rotary/2)
// the 2x2 block [[c̄, -s̄], [s̄, c̄]] of the averaged cos and sin, the identity
// elsewhere. cos and sin are [positions][rotary/2]; the result is d x d,
// row-major.
func AverageRotation(d, rotary int, cos, sin []float32) []float64 {
	half := rotary / 2
	positions := len(cos) / max(half, 1)
	R := make([]float64, d*d)
	for i := rotary; i < d; i++ {
		R[i*d+i] = 1
	}
	for i := range half {
		var c, s float64
		for p := range positions {
			c += float64(cos[p*half+i])
			s += float64(sin[p*half+i])
		}
		c /= float64(positions)
		s /= float64(positions)
		R[i*d+i], R[i*d+i+half] = c, -s
		R[(i+half)*d+i], R[(i+half)*d+i+half] = s, c
	}
	return R
}

// Rotate returns R·μ and R·Σ·Rᵀ (d x d matrices row-major).
func Rotate(R []float64, mu, cov []float32, d int) ([]float64, []float64) {
	m := make([]float64, d)
	for a := range d {
		for b := range d {
			m[a] += R[a*d+b] * float64(mu[b])
		}
	}
	tmp := make([]float64, d*d) // Σ·Rᵀ
	for a := range d {
		for b := range d {
			var s float64
			for t := range d {
				s += float64(cov[a*d+t]) * R[b*d+t]
			}
			tmp[a*d+b] = s
		}
	}
	c := make([]float64, d*d)
	for a := range d {
		for b := range d {
			var s float64
			for t := range d {
				s += R[a*d+t] * tmp[t*d+b]
			}
			c[a*d+b] = s
		}
	}
	return m, c
}
