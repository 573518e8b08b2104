package eval

import (
	"strings"
	"testing"

	"github.com/qfilters/qfilters/figure"
)

// The perplexity panel's title must not say every method keeps sinks:
// runPerplexity gives them to Streaming-LLM only.
func TestFigurePerplexityTitleSinks(t *testing.T) {
	r := &Report{Ratios: []int{2}, Recall: []MethodRecall{{Method: QFilters, Mean: []float64{0.5}}},
		Perplexity: &Perplexity{CacheSize: 64, Window: 16, Sinks: 4, Sequences: 8,
			Methods: []MethodPPL{{Method: Full, PPL: 3}, {Method: QFilters, PPL: 4}, {Method: Streaming, PPL: 4}}}}
	var title string
	for _, p := range Figure(r, "m", "c").Panels {
		if b, ok := p.(*figure.Bars); ok {
			title = b.Title
		}
	}
	if !strings.Contains(title, "window 16 (streaming: + 4 sinks)") {
		t.Errorf("perplexity title %q does not give the sinks to Streaming-LLM alone", title)
	}
}
