package eval

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qfilters/qfilters/calibrate"
	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/model"
	"github.com/qfilters/qfilters/synth"
)

// BenchmarkHeadRecall: one head of 2048 tokens, head dim 64, default
// options (the per-query recall of every method). cpu-ns/pair is the CPU
// time per causal (query, key) pair, steadier than wall time on a shared
// machine.
func BenchmarkHeadRecall(b *testing.B) { benchHeadRecall(b, HeadRecall) }

// BenchmarkHeadRecallReference is the same for the implementation it
// replaced (a stable sort per query and method), for comparison.
func BenchmarkHeadRecallReference(b *testing.B) { benchHeadRecall(b, refHeadRecall) }

func benchHeadRecall(b *testing.B, recall func(Head, Options) (*HeadStats, error)) {
	h := randomHead(1, 2048, 64, false)
	cpu0 := processCPU()
	for b.Loop() {
		if _, err := recall(h, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N)/(2048*2049/2), "cpu-ns/pair")
}

// BenchmarkEvalVsCalibrate times eval at its defaults (cache seq-len/4,
// window cache/4, context 3/4 of the sequence) on a synthetic preset
// against the calibration of the same tokens, and reports the ratio (the
// target is at most 1 + the number of perplexity methods). The shape comes
// from QFILTERS_EVAL_BENCH=preset:seqs:pplSeqs:seqLen (default
// small:2:2:2048, the case; eval's defaults on a real run are
// 16 sequences, perplexity on 8).
func BenchmarkEvalVsCalibrate(b *testing.B) {
	preset, seqs, pplSeqs, seqLen := "small", 2, 2, 2048
	if s := os.Getenv("QFILTERS_EVAL_BENCH"); s != "" {
		if _, err := fmt.Sscanf(strings.ReplaceAll(s, ":", " "), "%s %d %d %d", &preset, &seqs, &pplSeqs, &seqLen); err != nil {
			b.Fatalf("QFILTERS_EVAL_BENCH=%q: want preset:seqs:pplSeqs:seqLen (%v)", s, err)
		}
	}
	p, err := synth.Lookup(preset)
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), preset)
	if err := synth.Write(dir, p, 1); err != nil {
		b.Fatal(err)
	}
	m, err := model.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([][]int, seqs)
	for s := range ids {
		ids[s] = make([]int, seqLen)
		for i := range ids[s] {
			ids[s][i] = rng.IntN(p.Vocab)
		}
	}
	cache := seqLen / 4
	cfg := Config{CacheSize: cache, Window: cache / 4, PPLSeqs: pplSeqs, ContextLen: seqLen * 3 / 4}
	// The views run separately so that each gets its CPU time.
	var cal, calCPU, recall, recallCPU, ppl, pplCPU float64
	for b.Loop() {
		t0, c0 := time.Now(), processCPU()
		res, err := calibrate.Run(m, ids, calibrate.Options{Samples: 3000})
		if err != nil {
			b.Fatal(err)
		}
		t1, c1 := time.Now(), processCPU()
		f := &export.Filters{Layers: res.Layers, KVHeads: res.KVHeads, Heads: res.Heads, HeadDim: res.HeadDim, QFilters: res.QFilters}
		noPPL := cfg
		noPPL.CacheSize = 0
		if _, err := Run(m, f, ids, noPPL); err != nil {
			b.Fatal(err)
		}
		t2, c2 := time.Now(), processCPU()
		if _, err := runPerplexity(context.Background(), m, f, ids, cfg, DefaultSinks, func(string, int, int) {}); err != nil {
			b.Fatal(err)
		}
		cal += t1.Sub(t0).Seconds()
		calCPU += (c1 - c0).Seconds()
		recall += t2.Sub(t1).Seconds()
		recallCPU += (c2 - c1).Seconds()
		ppl += time.Since(t2).Seconds()
		pplCPU += (processCPU() - c2).Seconds()
	}
	n := float64(b.N)
	b.ReportMetric(cal/n, "calibrate-s")
	b.ReportMetric(calCPU/n, "calibrate-cpu-s")
	b.ReportMetric(recall/n, "recall-s")
	b.ReportMetric(recallCPU/n, "recall-cpu-s")
	b.ReportMetric(ppl/n, "ppl-s")
	b.ReportMetric(pplCPU/n, "ppl-cpu-s")
	b.ReportMetric((recall+ppl)/cal, "eval/calibrate")
	b.ReportMetric((recallCPU+pplCPU)/calCPU, "eval/calibrate-cpu")
}
