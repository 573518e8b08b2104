package eval

import (
	"fmt"
	"image/color"

	"github.com/qfilters/qfilters/figure"
)

// methodColor gives every method one colour in every panel.
var methodColor = map[string]color.Color{
	Oracle:            color.NRGBA{110, 110, 110, 255},
	QFilters:          color.NRGBA{31, 119, 180, 255},
	KNorm:             color.NRGBA{214, 39, 40, 255},
	Streaming:         color.NRGBA{44, 160, 44, 255},
	Random:            color.NRGBA{230, 150, 20, 255},
	Full:              color.NRGBA{60, 60, 60, 255},
	SnapKV:            color.NRGBA{148, 103, 189, 255},
	ExpectedAttention: color.NRGBA{23, 190, 207, 255},
}

// Figure draws the report: the context recall (kvpress's scenario) when
// measured, the per-query attention recall, each against the compression
// ratio with the oracle as a shaded upper bound, and the streaming
// perplexity per method with the full cache as a line. model and corpus
// name what was measured in the title.
func Figure(r *Report, model, corpus string) *figure.Figure {
	f := &figure.Figure{
		Title: fmt.Sprintf("%s on %s: %d held-out sequences of %d tokens", model, corpus, r.Sequences, r.SeqLen),
		Cols:  2,
	}
	if cr := r.ContextRecall; cr != nil {
		var series []MethodRecall
		for _, name := range cr.Order {
			series = append(series, MethodRecall{Method: name, Mean: cr.Methods[name]})
		}
		title := fmt.Sprintf("context recall (kvpress's scenario)\ncontext of %d tokens compressed once; %d continuation queries", cr.Context, cr.Continuation)
		f.Panels = append(f.Panels, recallLines(title, "share of the continuation's attention to the context kept", cr.Ratios, series))
	}
	f.Panels = append(f.Panels, recallLines(fmt.Sprintf("per-query attention recall\neach query over its own causal keys (at least %d)", r.MinKeys),
		"share of each query's attention kept", r.Ratios, r.Recall))
	if p := r.Perplexity; p != nil {
		b := &figure.Bars{
			// Only Streaming-LLM keeps sinks (runPerplexity).
			Title:  fmt.Sprintf("streaming perplexity\ncache of %d keys, window %d (streaming: + %d sinks), %d sequences", p.CacheSize, p.Window, p.Sinks, p.Sequences),
			YLabel: "perplexity (lower is better)",
		}
		for _, m := range p.Methods {
			if m.Method == Full {
				v := m.PPL
				b.Ref, b.RefLabel = &v, fmt.Sprintf("full cache (%.3f)", v)
			}
			b.Names = append(b.Names, m.Method)
			b.Values = append(b.Values, m.PPL)
			b.Colors = append(b.Colors, methodColor[m.Method])
		}
		f.Panels = append(f.Panels, b)
	}
	return f
}

// recallLines plots recall per method against the ratios; the oracle
// becomes the shaded bound.
func recallLines(title, ylabel string, ratios []int, series []MethodRecall) *figure.Lines {
	l := &figure.Lines{Title: title, XLabel: "compression ratio (cache size / kept keys)", YLabel: ylabel, XPrefix: "x"}
	for _, r := range ratios {
		l.X = append(l.X, float64(r))
	}
	for _, s := range series {
		fs := figure.Series{Name: s.Method, Y: s.Mean, Color: methodColor[s.Method]}
		if fs.Color == nil {
			fs.Color = color.Black
		}
		if s.Method == Oracle {
			fs.Name = "oracle (upper bound)"
			l.Bound = &fs
			continue
		}
		l.Series = append(l.Series, fs)
	}
	return l
}
