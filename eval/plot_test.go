package eval

import (
	"bytes"
	"image/png"
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

// TestFigureOnePanel: with the context recall and the perplexity run
// skipped (--context -1 --cache-size -1) the figure is the recall panel
// alone, without an empty half beside it.
func TestFigureOnePanel(t *testing.T) {
	r := &Report{Ratios: []int{2, 4}, Recall: []MethodRecall{{Method: Oracle, Mean: []float64{0.9, 0.8}}, {Method: QFilters, Mean: []float64{0.5, 0.4}}}}
	f := Figure(r, "m", "c")
	if len(f.Panels) != 1 {
		t.Fatalf("%d panels, want the recall alone", len(f.Panels))
	}
	width := func(f *figure.Figure) int {
		data, err := f.Render(".png")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Width
	}
	if got, want := width(f), width(&figure.Figure{Title: f.Title, Panels: f.Panels}); got != want {
		t.Errorf("one-panel figure %d px wide, want %d (the panel alone)", got, want)
	}
}
