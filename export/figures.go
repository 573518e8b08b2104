package export

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// HeadFigures holds the figures inspect shows for one head. A nil metric is unavailable
// (reference directories only have q_filters); in JSON it is null.
type HeadFigures struct {
	Layer int `json:"layer"`
	// Head is the kv head index in Figures.KV, the query head index in Figures.Query.
	Head   int `json:"head"`
	KVHead int `json:"kv_head"`
	// Norm is the Euclidean norm of the filter: of q_filters for a kv head
	// (below 1 when the group's query filters disagree), of the per-query-head
	// filter for a query head (1 by construction).
	Norm *float64 `json:"norm"`
	// EnergyShare is sigma_1^2 / sum sigma_i^2 of the head's query samples: the
	// share of query energy along the filter direction. For a kv head it is the
	// mean over its query group. 0 when all singular values are 0.
	EnergyShare *float64 `json:"energy_share"`
	// SignAgreement is the fraction of samples whose projection on the kept
	// direction is positive. For a kv head, the mean over its query group.
	SignAgreement *float64 `json:"sign_agreement"`
	// NoCache marks a head of a layer without a KV cache (linear
	// attention): it has no filter, and every metric is null.
	NoCache bool `json:"no_cache,omitempty"`
	// Padding marks a kv head beyond its layer's own count (a layer with
	// fewer kv heads than the largest): no filter, null metrics.
	Padding bool `json:"padding,omitempty"`
	// Stability is the split-half stability of the head's filter: the
	// cosine of the filters of the even and the odd calibration sequences
	// (of the query head's filter, or of the kv head's GQA average).
	Stability *float64 `json:"stability"`
}

// Figures are the per-head figures of a filter directory (what inspect
// shows), not the mergeable calibration statistics of package calibrate.
type Figures struct {
	Layers  int `json:"layers"`
	KVHeads int `json:"kv_heads"`
	Heads   int `json:"heads"` // 0 when unknown (reference directory)
	HeadDim int `json:"head_dim"`
	// KV has Layers*KVHeads rows, layer-major.
	KV []HeadFigures `json:"kv"`
	// Query has Layers*Heads rows, layer-major; nil when no per-query-head
	// data is available.
	Query []HeadFigures `json:"query"`
	// NoCache lists the layers without a KV cache.
	NoCache []int `json:"no_cache_layers,omitempty"`
}

// Metric names, as used by Summaries and in JSON.
const (
	MetricNorm          = "norm"
	MetricEnergyShare   = "energy_share"
	MetricSignAgreement = "sign_agreement"
	MetricStability     = "stability"
)

// Get returns the value of a metric of the row (nil when unavailable).
func (h HeadFigures) Get(metric string) *float64 {
	switch metric {
	case MetricNorm:
		return h.Norm
	case MetricEnergyShare:
		return h.EnergyShare
	case MetricSignAgreement:
		return h.SignAgreement
	case MetricStability:
		return h.Stability
	}
	return nil
}

// Norm returns the Euclidean norm of v, accumulated in float64.
func Norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// EnergyShare returns sigma_1^2 / sum sigma_i^2 for singular values sorted in
// descending order, and 0 when they are all zero.
func EnergyShare(sv []float32) float64 {
	var tot float64
	for _, s := range sv {
		tot += float64(s) * float64(s)
	}
	if tot == 0 || len(sv) == 0 {
		return 0
	}
	return float64(sv[0]) * float64(sv[0]) / tot
}

func ptr(x float64) *float64 { return &x }

// ComputeFigures computes the per-head figures of f. Heads without per-query
// data get only the norm.
func ComputeFigures(f *Filters) *Figures {
	st := &Figures{Layers: f.Layers, KVHeads: f.KVHeads, Heads: f.Heads, HeadDim: f.HeadDim, NoCache: f.NoCache}
	hasQuery := f.Heads > 0 && (f.PerQueryHead != nil || f.SingularValues != nil || f.SignAgreement != nil || f.Stability != nil)
	g := f.GroupSize()
	if hasQuery {
		st.Query = make([]HeadFigures, 0, f.Layers*f.Heads)
		for l := 0; l < f.Layers; l++ {
			for h := 0; h < f.Heads; h++ {
				r := HeadFigures{Layer: l, Head: h, KVHead: h / (f.Heads / f.KVHeadsOf(l))}
				if !f.HasCache(l) {
					r.NoCache = true
					st.Query = append(st.Query, r)
					continue
				}
				if f.PerQueryHead != nil {
					r.Norm = ptr(Norm(f.QueryFilter(l, h)))
				}
				if f.SingularValues != nil {
					r.EnergyShare = ptr(EnergyShare(f.Singular(l, h)))
				}
				if f.SignAgreement != nil {
					r.SignAgreement = ptr(float64(f.SignAgreement[l*f.Heads+h]))
				}
				if f.Stability != nil {
					r.Stability = ptr(float64(f.Stability[l*f.Heads+h]))
				}
				st.Query = append(st.Query, r)
			}
		}
	}
	st.KV = make([]HeadFigures, 0, f.Layers*f.KVHeads)
	for l := 0; l < f.Layers; l++ {
		for h := 0; h < f.KVHeads; h++ {
			r := HeadFigures{Layer: l, Head: h, KVHead: h, Norm: ptr(Norm(f.Filter(l, h)))}
			gl := g
			if f.Heads > 0 {
				gl = f.Heads / f.KVHeadsOf(l)
			}
			if !f.HasCache(l) {
				r.Norm, r.NoCache = nil, true
			} else if h >= f.KVHeadsOf(l) {
				r.Norm, r.Padding = nil, true
			} else if hasQuery {
				group := st.Query[l*f.Heads+h*gl : l*f.Heads+(h+1)*gl]
				r.EnergyShare = groupMean(group, MetricEnergyShare)
				r.SignAgreement = groupMean(group, MetricSignAgreement)
			}
			if f.StabilityKV != nil && !r.NoCache && !r.Padding {
				r.Stability = ptr(float64(f.StabilityKV[l*f.KVHeads+h]))
			}
			st.KV = append(st.KV, r)
		}
	}
	return st
}

func groupMean(rows []HeadFigures, metric string) *float64 {
	var s float64
	for _, r := range rows {
		v := r.Get(metric)
		if v == nil {
			return nil
		}
		s += *v
	}
	return ptr(s / float64(len(rows)))
}

// HeadValue names one head and a value of it.
type HeadValue struct {
	Layer int     `json:"layer"`
	Head  int     `json:"head"`
	Value float64 `json:"value"`
}

func (h HeadValue) String() string { return fmt.Sprintf("L%d H%d %.4f", h.Layer, h.Head, h.Value) }

// Summary summarizes one metric over a set of heads.
type Summary struct {
	Metric string `json:"metric"`
	// Level is "kv" or "query": which heads were summarized.
	Level   string      `json:"level"`
	Count   int         `json:"count"`
	Mean    float64     `json:"mean"`
	Min     HeadValue   `json:"min"`
	Max     HeadValue   `json:"max"`
	Weakest []HeadValue `json:"weakest"` // lowest values first
}

// Summarize summarizes metric over rows (skipping rows where it is
// unavailable) and lists the n lowest; nil when no row has the metric. Ties
// keep the row order (layer, then head).
func Summarize(rows []HeadFigures, metric, level string, n int) *Summary {
	vals := make([]HeadValue, 0, len(rows))
	for _, r := range rows {
		if v := r.Get(metric); v != nil {
			vals = append(vals, HeadValue{r.Layer, r.Head, *v})
		}
	}
	return summarizeValues(vals, metric, level, n)
}

func summarizeValues(vals []HeadValue, metric, level string, n int) *Summary {
	if len(vals) == 0 {
		return nil
	}
	s := &Summary{Metric: metric, Level: level, Count: len(vals), Min: vals[0], Max: vals[0]}
	var sum float64
	for _, v := range vals {
		sum += v.Value
		if v.Value < s.Min.Value {
			s.Min = v
		}
		if v.Value > s.Max.Value {
			s.Max = v
		}
	}
	s.Mean = sum / float64(len(vals))
	sorted := append([]HeadValue(nil), vals...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Value < sorted[j].Value })
	if n > len(sorted) {
		n = len(sorted)
	}
	s.Weakest = sorted[:n]
	return s
}

// Summaries returns the summaries of the available metrics: the norm over kv
// heads (what kvpress loads), energy share, sign agreement and stability
// over query heads, and stability over kv heads.
func (st *Figures) Summaries(n int) []*Summary {
	var out []*Summary
	if s := Summarize(st.KV, MetricNorm, "kv", n); s != nil {
		out = append(out, s)
	}
	for _, m := range []string{MetricEnergyShare, MetricSignAgreement, MetricStability} {
		if s := Summarize(st.Query, m, "query", n); s != nil {
			out = append(out, s)
		}
	}
	if s := Summarize(st.KV, MetricStability, "kv", n); s != nil {
		out = append(out, s)
	}
	return out
}

// StabilityScale returns the bottom of a colour scale for stabilities (the
// top is 1): stabilities crowd just below 1, so the scale starts at the
// first of 0.999, 0.99, 0.9, 0 or -1 at or below the lowest value.
func StabilityScale(vals []float32) float64 {
	lo := 1.0
	for _, v := range vals {
		lo = math.Min(lo, float64(v))
	}
	for _, s := range []float64{0.999, 0.99, 0.9, 0} {
		if lo >= s {
			return s
		}
	}
	return -1
}

// Cosine returns the cosine similarity of a and b, accumulated in float64.
// It is defined as 0 when either vector is zero (a zero filter has no
// direction, so it agrees with nothing, not even another zero filter).
func Cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		ab += x * y
		aa += x * x
		bb += y * y
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	c := ab / math.Sqrt(aa*bb) // exactly 1 for identical vectors: sqrt(x*x) == x
	return math.Max(-1, math.Min(1, c))
}

// ShapeMismatchError reports filters of different shapes.
type ShapeMismatchError struct {
	A, B [3]int // layers, kv heads, head dim
}

func (e *ShapeMismatchError) Error() string {
	return fmt.Sprintf("shape mismatch: [layers, kv_heads, head_dim] %v vs %v", e.A, e.B)
}

// Comparison holds the cosine similarities of two filter sets.
type Comparison struct {
	Layers  int `json:"layers"`
	KVHeads int `json:"kv_heads"`
	Heads   int `json:"heads"` // 0 when Query is nil
	// KV has one row per layer and kv head (q_filters), layer-major,
	// leaving out the layers without a cache.
	KV []HeadValue `json:"kv"`
	// Query has one row per layer and query head, when both sides have
	// per-query-head filters with the same number of heads; else nil.
	Query []HeadValue `json:"query"`
	// NoCache lists the layers without a KV cache (no filter to compare).
	NoCache []int `json:"no_cache_layers,omitempty"`
	// KVNoise and QueryNoise are, per row of KV and Query, the most
	// 1 - cosine that the two runs' split-half noise explains (AddNoise;
	// noise.go); nil when either side has no stability.
	KVNoise    []float64 `json:"kv_noise,omitempty"`
	QueryNoise []float64 `json:"query_noise,omitempty"`
}

// Grid lays rows (of KV or Query) out as [Layers][cols], NaN where a layer
// has no cache.
func (c *Comparison) Grid(rows []HeadValue, cols int) []float64 {
	g := make([]float64, c.Layers*cols)
	for i := range g {
		g[i] = math.NaN()
	}
	for _, r := range rows {
		g[r.Layer*cols+r.Head] = r.Value
	}
	return g
}

// Compare computes the cosine similarity per layer and kv head of the
// q_filters of a and b, and per query head when both have them.
func Compare(a, b *Filters) (*Comparison, error) {
	sa := [3]int{a.Layers, a.KVHeads, a.HeadDim}
	sb := [3]int{b.Layers, b.KVHeads, b.HeadDim}
	if sa != sb {
		return nil, &ShapeMismatchError{sa, sb}
	}
	if !slices.Equal(a.NoCache, b.NoCache) {
		return nil, fmt.Errorf("different layers without a KV cache: %v vs %v (filters of different models)", a.NoCache, b.NoCache)
	}
	if !slices.Equal(a.LayerKVHeads, b.LayerKVHeads) || !slices.Equal(a.LayerHeadDim, b.LayerHeadDim) || !slices.Equal(a.KVOwner, b.KVOwner) {
		return nil, fmt.Errorf("different per-layer shapes or shared caches (filters of different models)")
	}
	c := &Comparison{Layers: a.Layers, KVHeads: a.KVHeads, NoCache: a.NoCache}
	for l := 0; l < a.Layers; l++ {
		if !a.HasCache(l) {
			continue
		}
		for h := 0; h < a.KVHeadsOf(l); h++ {
			c.KV = append(c.KV, HeadValue{l, h, Cosine(a.Filter(l, h), b.Filter(l, h))})
		}
	}
	if a.PerQueryHead != nil && b.PerQueryHead != nil && a.Heads == b.Heads {
		c.Heads = a.Heads
		for l := 0; l < a.Layers; l++ {
			if !a.HasCache(l) {
				continue
			}
			for h := 0; h < a.Heads; h++ {
				c.Query = append(c.Query, HeadValue{l, h, Cosine(a.QueryFilter(l, h), b.QueryFilter(l, h))})
			}
		}
	}
	return c, nil
}

// Summaries summarizes the cosines at kv level and, when present, query level.
func (c *Comparison) Summaries(n int) []*Summary {
	out := []*Summary{summarizeValues(c.KV, "cosine", "kv", n)}
	if s := summarizeValues(c.Query, "cosine", "query", n); s != nil {
		out = append(out, s)
	}
	return out
}

// Below lists the heads whose cosine is below min, kv level first.
func (c *Comparison) Below(min float64) (kv, query []HeadValue) {
	for _, v := range c.KV {
		if v.Value < min {
			kv = append(kv, v)
		}
	}
	for _, v := range c.Query {
		if v.Value < min {
			query = append(query, v)
		}
	}
	return kv, query
}
