package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/eval"
	"github.com/qfilters/qfilters/export"
)

// TestEvalContextRecall runs kvpress's scenario on the embedded model: the
// report carries every method at every ratio, in [0, 1], falling with the
// ratio, and the oracle above random.
func TestEvalContextRecall(t *testing.T) {
	filters := calibrateEmbedded(t)
	out, _, err := execute(t, "eval", "--filters", filters, "--json", "--quiet",
		"--max-docs", "2", "--seq-len", "128", "--cache-size", "-1")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		ContextRecall *eval.ContextReport `json:"context_recall"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	cr := rep.ContextRecall
	if cr == nil || cr.Context != 96 || cr.Continuation != 32 || !slices.Equal(cr.Ratios, eval.DefaultRatios) {
		t.Fatalf("context recall %+v, want context 96 (3/4 of 128), 32 continuation tokens", cr)
	}
	for _, m := range eval.ContextMethods {
		v, ok := cr.Methods[m]
		if m == eval.ExpectedAttention {
			if ok {
				t.Errorf("expected_attention reported without --stats")
			}
			continue
		}
		if len(v) != len(cr.Ratios) {
			t.Fatalf("%s: %v", m, v)
		}
		for i, x := range v {
			if !(x >= 0 && x <= 1) || (i > 0 && x > v[i-1]+1e-12) {
				t.Errorf("%s: recall %v not in [0, 1] and falling", m, v)
			}
		}
	}
	for r := range cr.Ratios {
		if cr.Methods[eval.Oracle][r] <= cr.Methods[eval.Random][r] {
			t.Errorf("ratio x%d: oracle %v <= random %v", cr.Ratios[r], cr.Methods[eval.Oracle][r], cr.Methods[eval.Random][r])
		}
	}
}

// writeExpStats writes statistics of the given shape with an identity
// covariance.
func writeExpStats(t *testing.T, dir string, layers, heads, d int) {
	t.Helper()
	s := &export.ExpStats{Layers: layers, Heads: heads, HeadDim: d,
		Mean: make([]float32, layers*heads*d), Cov: make([]float32, layers*heads*d*d),
		DatasetName: "test", ModelName: "test", NumSamples: 1, SampleSeqLen: 10, NSink: 4}
	for i := 0; i < layers*heads; i++ {
		for a := 0; a < d; a++ {
			s.Cov[i*d*d+a*d+a] = 1
		}
	}
	if err := export.WriteExpStats(dir, s, export.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestEvalContextStatsShape(t *testing.T) {
	filters := calibrateEmbedded(t)
	stats := filepath.Join(t.TempDir(), "stats")
	writeExpStats(t, stats, 5, 8, 16) // stories260K has head dim 8
	_, _, err := execute(t, "eval", "--filters", filters, "--stats", stats, "--quiet",
		"--max-docs", "1", "--seq-len", "128", "--cache-size", "-1")
	if err == nil {
		t.Fatal("statistics of another shape accepted")
	}
}

func TestEvalContextExpectedAttention(t *testing.T) {
	filters := calibrateEmbedded(t)
	stats := filepath.Join(t.TempDir(), "stats")
	writeExpStats(t, stats, 5, 8, 8)
	out, _, err := execute(t, "eval", "--filters", filters, "--stats", stats, "--quiet", "--json",
		"--max-docs", "1", "--seq-len", "128", "--context", "100", "--cache-size", "-1")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		ContextRecall *eval.ContextReport `json:"context_recall"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	v := rep.ContextRecall.Methods[eval.ExpectedAttention]
	if rep.ContextRecall.Context != 100 || len(v) != 5 || !(v[0] > 0 && v[0] <= 1) {
		t.Errorf("context %d, expected_attention %v", rep.ContextRecall.Context, v)
	}
}

// TestFormatEvalOrder: the table leads with the context recall, as eval's
// help and the README say, before the per-query recall and the perplexity.
func TestFormatEvalOrder(t *testing.T) {
	rep := &eval.Report{
		Ratios: []int{2},
		Recall: []eval.MethodRecall{{Method: eval.QFilters, Mean: []float64{0.5}}},
		ContextRecall: &eval.ContextReport{Context: 96, Ratios: []int{2}, Order: []string{eval.QFilters},
			Methods: map[string][]float64{eval.QFilters: {0.5}}},
		Perplexity: &eval.Perplexity{},
	}
	out := formatEval(evalReport{Report: rep})
	ctx, att, ppl := strings.Index(out, "context recall:"), strings.Index(out, "attention recall:"), strings.Index(out, "streaming perplexity:")
	if ctx < 0 || att < 0 || ppl < 0 || !(ctx < att && att < ppl) {
		t.Errorf("tables at %d (context), %d (attention), %d (perplexity), want that order:\n%s", ctx, att, ppl, out)
	}
}
