package main

import (
	"fmt"
	"strings"

	"github.com/qfilters/qfilters/eval"
)

// formatEval renders the report as terminal tables, in the order eval's
// help and the README give: context recall, attention recall, perplexity.
func formatEval(r evalReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "model %s, filters %s\ncorpus %s: %s x %d tokens (skipped the first %s)\n\n",
		r.Model, r.Filters, r.Corpus, count(r.Sequences, "held-out sequence", "held-out sequences"), r.SeqLen, count(r.SkipDocs, "document", "documents"))
	if cr := r.ContextRecall; cr != nil { // kvpress's scenario leads
		b.WriteString(formatContextRecall(cr))
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "attention recall: share of attention mass on the kept keys (%d queries per head and sequence, each seeing >= %d keys)\n", r.QueriesPerHead, r.MinKeys)
	fmt.Fprintf(&b, "%-10s", "method")
	for _, ratio := range r.Ratios {
		fmt.Fprintf(&b, " %7s", fmt.Sprintf("x%d", ratio))
	}
	fmt.Fprintf(&b, " %9s\n", "spearman")
	spear := map[string]*float64{}
	for _, s := range r.Spearman {
		spear[s.Method] = s.Mean
	}
	for _, mr := range r.Recall {
		fmt.Fprintf(&b, "%-10s", mr.Method)
		for _, v := range mr.Mean {
			fmt.Fprintf(&b, " %7.4f", v)
		}
		if v, ok := spear[mr.Method]; ok && v != nil {
			fmt.Fprintf(&b, " %9.4f", *v)
		} else {
			fmt.Fprintf(&b, " %9s", "-")
		}
		b.WriteString("\n")
	}
	b.WriteString("(spearman: keep score vs mean attention received, per head; streaming ranks sinks first, then recency)\n")
	if p := r.Perplexity; p != nil {
		fmt.Fprintf(&b, "\nstreaming perplexity: cache %d entries per head, window %d, %s, %s\n", p.CacheSize, p.Window, count(p.Sequences, "sequence", "sequences"), count(p.Predictions, "prediction", "predictions"))
		fmt.Fprintf(&b, "%-10s %10s %11s\n", "method", "ppl", "gap closed")
		for _, mp := range p.Methods {
			gap := "-"
			if mp.GapClosed != nil {
				gap = fmt.Sprintf("%.3f", *mp.GapClosed)
			}
			fmt.Fprintf(&b, "%-10s %10.4f %11s\n", mp.Method, mp.PPL, gap)
		}
		b.WriteString("(gap closed: (ppl_streaming - ppl)/(ppl_streaming - ppl_full))\n")
	}
	return b.String()
}

// formatContextRecall renders the context recall table.
func formatContextRecall(cr *eval.ContextReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "context recall: the first %d tokens compressed once; share of the %d continuation queries' attention to them on the kept keys\n",
		cr.Context, cr.Continuation)
	fmt.Fprintf(&b, "%-18s", "method")
	for _, ratio := range cr.Ratios {
		fmt.Fprintf(&b, " %7s", fmt.Sprintf("x%d", ratio))
	}
	b.WriteString("\n")
	for _, name := range cr.Order {
		fmt.Fprintf(&b, "%-18s", name)
		for _, v := range cr.Methods[name] {
			fmt.Fprintf(&b, " %7.4f", v)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "(oracle: the context keys with the largest share of the continuation's attention to the context; snapkv: window %d, pooling 5; streaming: 4 sinks + most recent)\n", cr.SnapKVWindow)
	return b.String()
}
