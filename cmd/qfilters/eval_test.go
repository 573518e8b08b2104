package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/eval"
	"github.com/qfilters/qfilters/internal/fixture"
)

// calibrateEmbedded writes filters for the embedded model into a temporary
// directory, as a user would before running eval.
func calibrateEmbedded(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "stories260K_qfilt")
	if _, _, err := execute(t, "calibrate", "--out", out, "--quiet"); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEvalEmbeddedEndToEnd(t *testing.T) {
	filters := calibrateEmbedded(t)
	pngPath := filepath.Join(t.TempDir(), "eval.png")
	out, _, err := execute(t, "eval", "--filters", filters, "--json", "--quiet",
		"--max-docs", "3", "--ppl-docs", "2", "--seq-len", "128", "--cache-size", "32", "--png", pngPath) // the old spellings
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Model, Corpus string
		Sources       []string
		SkipDocs      int `json:"skip_docs"`
		eval.Report
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Sequences != 3 || rep.SeqLen != 128 || len(rep.Sources) != 3 || rep.SkipDocs != 80 {
		t.Fatalf("sequences %d x %d, sources %v, skip %d", rep.Sequences, rep.SeqLen, rep.Sources, rep.SkipDocs)
	}
	for _, s := range rep.Sources {
		// Held out: lines 81..96 of the embedded corpus.
		i := strings.LastIndex(s, ":")
		var line int
		if _, err := fmt.Sscan(s[i+1:], &line); err != nil || line <= 80 {
			t.Errorf("source %q is not a held-out story (line > 80)", s)
		}
	}
	if rep.MinKeys != 64 || rep.QueriesPerHead != 128-63 {
		t.Errorf("min keys %d, queries per head %d", rep.MinKeys, rep.QueriesPerHead)
	}
	recall := map[string][]float64{}
	for _, mr := range rep.Recall {
		if len(mr.Mean) != len(eval.DefaultRatios) || len(mr.PerLayer) != 5 {
			t.Fatalf("%s: %d ratios, %d layers", mr.Method, len(mr.Mean), len(mr.PerLayer))
		}
		for _, v := range mr.Mean {
			if !(v >= 0 && v <= 1) {
				t.Errorf("%s recall %v outside [0, 1]", mr.Method, v)
			}
		}
		for l, row := range mr.PerLayer {
			for r, v := range row {
				if !(v >= 0 && v <= 1) {
					t.Errorf("%s layer %d ratio %d: recall %v outside [0, 1]", mr.Method, l, r, v)
				}
			}
		}
		if first, last := mr.Mean[0], mr.Mean[len(mr.Mean)-1]; first < last {
			t.Errorf("%s: x2 recall %v below x32 recall %v", mr.Method, first, last)
		}
		recall[mr.Method] = mr.Mean
	}
	for _, m := range eval.RecallMethods {
		if recall[m] == nil {
			t.Fatalf("no recall for %s", m)
		}
		for r := range recall[m] {
			if recall[m][r] > recall[eval.Oracle][r]+1e-9 {
				t.Errorf("%s recall %v above the oracle's %v at x%d", m, recall[m][r], recall[eval.Oracle][r], rep.Ratios[r])
			}
		}
	}
	// The filters must do better than chance (a sign error would not).
	if recall[eval.QFilters][1] <= recall[eval.Random][1] {
		t.Errorf("qfilters x4 recall %v not above random %v", recall[eval.QFilters][1], recall[eval.Random][1])
	}
	if len(rep.Spearman) != len(eval.ScoreMethods) {
		t.Fatalf("spearman for %d methods", len(rep.Spearman))
	}
	for _, s := range rep.Spearman {
		if s.Mean == nil || *s.Mean < -1 || *s.Mean > 1 {
			t.Errorf("%s spearman %v", s.Method, s.Mean)
		}
	}

	p := rep.Perplexity
	if p == nil {
		t.Fatal("no perplexity")
	}
	// --ppl-docs 2: the steps after the 32-entry cache first overflows, in 2 sequences
	if p.CacheSize != 32 || p.Window != 8 || p.Sinks != 4 || p.Sequences != 2 || p.Predictions != 2*(127-33) {
		t.Errorf("perplexity run: %+v", p)
	}
	ppl := map[string]float64{}
	for _, mp := range p.Methods {
		ppl[mp.Method] = mp.PPL
		if math.IsNaN(mp.PPL) || math.IsInf(mp.PPL, 0) || mp.PPL < 1 {
			t.Errorf("%s perplexity %v", mp.Method, mp.PPL)
		}
	}
	for _, m := range eval.PPLMethods {
		if _, ok := ppl[m]; !ok {
			t.Fatalf("no perplexity for %s", m)
		}
		if ppl[m] < ppl[eval.Full]-1e-9 {
			t.Errorf("%s perplexity %v below the full cache's %v", m, ppl[m], ppl[eval.Full])
		}
	}
	for _, mp := range p.Methods {
		switch mp.Method {
		case eval.Full, eval.Streaming:
			want := map[string]float64{eval.Full: 1, eval.Streaming: 0}[mp.Method]
			if mp.GapClosed == nil || math.Abs(*mp.GapClosed-want) > 1e-9 {
				t.Errorf("%s gap closed %v, want %v", mp.Method, mp.GapClosed, want)
			}
		}
	}

	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 200 {
		t.Errorf("png is %v", b)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(pngPath), ".*tmp*")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}

	// The terminal table has every method and the perplexity section.
	text, _, err := execute(t, "eval", "--filters", filters, "--quiet", "--max-docs", "1", "--seq-len", "128", "--cache-size", "-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"attention recall", "x2", "x32", "spearman", "oracle", "qfilters", "knorm", "streaming", "random"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "perplexity") {
		t.Errorf("--cache-size -1 still ran the perplexity:\n%s", text)
	}
}

func TestEvalErrors(t *testing.T) {
	dir := t.TempDir()
	wrong := writeDir(t, knownFilters()) // 2 layers, 1 kv head, head dim 4
	for _, c := range []struct {
		args  []string
		want  string
		usage bool
	}{
		{[]string{"--filters", filepath.Join(dir, "nope")}, "does not exist", false},
		{[]string{"--filters", wrong}, "2 layers, 1 kv heads, 4 head dim] but the model has [5 layers, 4 kv heads, 8 head dim]", false},
		{[]string{"--filters", wrong, "--seq-len", "0"}, "--seq-len must be positive", true},
		{[]string{"--filters", wrong, "--cache-size", "8", "--window", "4"}, "must be smaller than the cache size", true},
		{[]string{"--filters", wrong, "--ratios", "0"}, "--ratios must be >= 1", true},
		{[]string{"--model", dir}, "--corpus is required", true},
		{[]string{"extra"}, "takes no arguments", true},
	} {
		_, _, err := execute(t, append([]string{"eval", "--quiet"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want it to contain %q", c.args, err, c.want)
			continue
		}
		var ue usageError
		if isUsage := errors.As(err, &ue); isUsage != c.usage {
			t.Errorf("%v: usage error %v, want %v", c.args, isUsage, c.usage)
		}
	}

	// No document long enough: say how many were seen and the longest.
	filters := calibrateEmbedded(t)
	_, _, err := execute(t, "eval", "--quiet", "--filters", filters, "--seq-len", "5000")
	if err == nil || !strings.Contains(err.Error(), "16 documents seen after skipping 80, longest") {
		t.Errorf("seq-len 5000: %v", err)
	}
}

// TestEvalSeqLenLongerThanCorpus: on a model directory (default --seq-len
// 2048) and a corpus of ~400-token stories, eval names the longest document
// and the --seq-len to give.
func TestEvalSeqLenLongerThanCorpus(t *testing.T) {
	filters := calibrateEmbedded(t)
	_, _, err := execute(t, "eval", "--quiet", "--model", fixture.Stories260K(), "--filters", filters, "--corpus", fixture.StoriesCorpus())
	for _, want := range []string{"has the 2048 tokens of --seq-len (", "longest 400 tokens): give --seq-len 400 or less"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v, want it to contain %q", err, want)
		}
	}
}
