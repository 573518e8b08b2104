package export

import (
	"fmt"
	"math"
	"strings"

	"github.com/qfilters/qfilters/figure"
)

// Figure draws inspect's heat maps: energy share and sign agreement per
// query head, filter norm per kv head (what f has), layers up, heads across,
// the weakest n heads of each ringed. name is the directory as given; the
// title says the model, corpus and settings from the provenance.
func (st *Figures) Figure(f *Filters, name string, n int) *figure.Figure {
	fig := &figure.Figure{Title: figureTitle(f, name)}
	add := func(title, scale string, rows []HeadFigures, cols int, metric, level string, lo, hi float64, group int) {
		vals := make([]float64, len(rows))
		for i, r := range rows {
			vals[i] = math.NaN()
			if v := r.Get(metric); v != nil {
				vals[i] = *v
			}
		}
		hm := &figure.Heatmap{Title: title, XLabel: level + " head", YLabel: "layer", Rows: f.Layers, Cols: cols,
			Values: vals, Lo: lo, Hi: hi, ScaleLabel: scale, Group: group}
		if s := Summarize(rows, metric, level, n); s != nil {
			for _, w := range s.Weakest {
				hm.Marked = append(hm.Marked, [2]int{w.Layer, w.Head})
			}
			hm.MarkLabel = fmt.Sprintf("weakest %d", len(s.Weakest))
		}
		fig.Panels = append(fig.Panels, hm)
	}
	if f.SingularValues != nil {
		add("query energy on the filter direction", "σ₁² / Σσ²", st.Query, f.Heads, MetricEnergyShare, "query", 0, 1, f.GroupSize())
	}
	if f.SignAgreement != nil {
		add("sign agreement of the samples", "share projecting positively", st.Query, f.Heads, MetricSignAgreement, "query", 0.5, 1, f.GroupSize())
	}
	if f.Stability != nil {
		lo := StabilityScale(append(append([]float32(nil), f.Stability...), f.StabilityKV...))
		add("split-half stability (filters of disjoint halves of the sequences)", "cosine of the halves' filters", st.Query, f.Heads, MetricStability, "query", lo, 1, f.GroupSize())
	}
	hi := 1.0
	for _, r := range st.KV {
		if r.Norm != nil {
			hi = math.Max(hi, *r.Norm)
		}
	}
	title := "q_filters norm (GQA mean of unit vectors)" // qfilters' filters: at most 1
	if hi > 1+1e-5 {
		title = "q_filters norm" // another tool's, not unit vectors (the reference's go up to 4.7)
	}
	add(title, "norm", st.KV, f.KVHeads, MetricNorm, "kv", 0, hi, 0)
	if len(fig.Panels) > 1 {
		fig.Cols = 2
	}
	return fig
}

// Figure draws the per-head cosine of two filter directories a and b (per
// kv head, and per query head when both have them), heads below minCos
// ringed and the threshold marked on the colour bar.
func (c *Comparison) Figure(a, b string, minCos float64) *figure.Figure {
	fig := &figure.Figure{Title: fmt.Sprintf("cosine of %s and %s (threshold %g)", a, b, minCos)}
	add := func(title, level string, rows []HeadValue, cols int) {
		vals := c.Grid(rows, cols)
		lo := minCos
		for _, r := range rows {
			lo = math.Min(lo, r.Value)
		}
		// Leave room below the threshold so that it shows on the scale.
		lo = math.Max(-1, math.Min(lo, minCos-0.1*(1-minCos)))
		thr := minCos
		fig.Panels = append(fig.Panels, &figure.Heatmap{Title: title, XLabel: level + " head", YLabel: "layer",
			Rows: c.Layers, Cols: cols, Values: vals, Lo: lo, Hi: 1, ScaleLabel: "cosine", Threshold: &thr})
	}
	add("q_filters cosine per kv head", "kv", c.KV, c.KVHeads)
	if c.Query != nil {
		add("per-query-head filter cosine", "query", c.Query, c.Heads)
		fig.Cols = 2
	}
	return fig
}

// figureTitle names the model and what calibrated it.
func figureTitle(f *Filters, name string) string {
	p := f.Provenance
	if p == nil {
		return fmt.Sprintf("%s: %d layers x %d kv heads (no provenance)", name, f.Layers, f.KVHeads)
	}
	parts := []string{fmt.Sprintf("%s calibrated on %s", p.Model, p.Corpus)}
	if p.NumSeqs > 0 {
		parts = append(parts, fmt.Sprintf("%d x %d tokens", p.NumSeqs, p.SeqLen))
	}
	if p.Samples != "" {
		parts = append(parts, "samples "+p.Samples)
	}
	if p.Sign != "" {
		parts = append(parts, "sign "+p.Sign)
	}
	if p.Precision != "" {
		parts = append(parts, p.Precision)
	}
	return strings.Join(parts, ", ")
}
