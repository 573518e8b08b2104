package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/calibrate"
	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/internal/fixture"
)

// randomIDsCorpus writes n pre-tokenized documents of length tokens, ids below
// vocab, and returns the file.
func randomIDsCorpus(t *testing.T, n, length, vocab int) string {
	t.Helper()
	r := rand.New(rand.NewPCG(5, 6))
	var b bytes.Buffer
	for range n {
		ids := make([]int, length)
		for i := range ids {
			ids[i] = r.IntN(vocab)
		}
		line, _ := json.Marshal(map[string][]int{"input_ids": ids})
		b.Write(append(line, '\n'))
	}
	path := filepath.Join(t.TempDir(), "ids.jsonl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPrintStabilitySkipsHeadsWithoutCache: the one-line stability summary
// leaves out the layers without a KV cache (linear attention) and a
// narrower layer's padding kv heads, whose zeros measure nothing (it said
// "0.00000 at kv L0 H0" on every Qwen3-Next, as inspect and --until-stable
// do not).
func TestPrintStabilitySkipsHeadsWithoutCache(t *testing.T) {
	res := &calibrate.Result{
		Layers: 3, Heads: 2, KVHeads: 2, HeadDim: 4,
		NoCache:      []int{0},
		LayerKVHeads: []int{2, 2, 1},
		Stability:    []float32{0, 0, 0.99, 0.98, 0.97, 0.995},
		StabilityKV:  []float32{0, 0, 0.99, 0.985, 0.96, 0},
	}
	var b bytes.Buffer
	printStability(&b, res)
	if want := "min 0.97000 at query L2 H0, 0.96000 at kv L2 H0"; !strings.Contains(b.String(), want) {
		t.Errorf("got %q, want it to say %q", b.String(), want)
	}
}

// TestCalibrateHybridStabilityLine runs calibrate on Qwen3-Next (layer 0 is
// linear attention) and Gemma 4 (global layers have fewer kv heads): the
// stability line names the least stable head inspect names.
func TestCalibrateHybridStabilityLine(t *testing.T) {
	for _, arch := range []string{"qwen3_next", "gemma4_text"} {
		t.Run(arch, func(t *testing.T) {
			corpus := randomIDsCorpus(t, 16, 48, 90)
			out := filepath.Join(t.TempDir(), "f")
			code, stdout, stderr := runCLI(t, "calibrate", "--model", fixture.Arch(arch), "--corpus", corpus,
				"--seq-len", "48", "--num-seqs", "16", "--samples", "all", "--out", out, "--quiet")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			f, err := export.Read(out)
			if err != nil {
				t.Fatal(err)
			}
			fig := export.ComputeFigures(f)
			var kvMin *export.HeadFigures
			for i, h := range fig.KV {
				if h.Stability != nil && (kvMin == nil || *h.Stability < *kvMin.Stability) {
					kvMin = &fig.KV[i]
				}
			}
			if kvMin == nil {
				t.Fatal("no kv stability in the figures")
			}
			if strings.Contains(stdout, "0.00000 at kv") {
				t.Errorf("stability line names a head without a cache:\n%s", stdout)
			}
			want := "at kv L" + itoa(kvMin.Layer) + " H" + itoa(kvMin.Head)
			if !strings.Contains(stdout, want) {
				t.Errorf("stability line does not name the least stable kv head (%s):\n%s", want, stdout)
			}
		})
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestStatsHybridQueriesAndHeadDim: on Qwen3-Next (layer 0 linear
// attention) stats counted the queries of layer 0 (none), and on Gemma 4
// (sliding layers of head dim 16, global of 32) it reported head_dim 16
// while the file holds the widest, 32.
func TestStatsHybridQueriesAndHeadDim(t *testing.T) {
	for _, tc := range []struct {
		arch    string
		headDim int
	}{{"qwen3_next", 32}, {"gemma4_text", 32}} {
		t.Run(tc.arch, func(t *testing.T) {
			corpus := randomIDsCorpus(t, 6, 40, 90)
			out := filepath.Join(t.TempDir(), "st")
			code, stdout, stderr := runCLI(t, "stats", "--model", fixture.Arch(tc.arch), "--corpus", corpus,
				"--num-samples", "6", "--out", out, "--json", "--quiet")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var sum statsSummary
			if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
				t.Fatalf("%v\n%s", err, stdout)
			}
			if want := int64(6 * (40 - 4)); sum.Queries != want || sum.Tokens != 6*40 {
				t.Errorf("queries_per_head %d, tokens %d; want %d and %d", sum.Queries, sum.Tokens, want, 6*40)
			}
			es, err := export.ReadExpStats(out)
			if err != nil {
				t.Fatal(err)
			}
			if sum.HeadDim != es.HeadDim || sum.HeadDim != tc.headDim || sum.Heads != es.Heads || sum.Layers != es.Layers {
				t.Errorf("summary [%d, %d, %d], the file [%d, %d, %d], want head dim %d",
					sum.Layers, sum.Heads, sum.HeadDim, es.Layers, es.Heads, es.HeadDim, tc.headDim)
			}
			card, _ := os.ReadFile(filepath.Join(out, "README.md"))
			if strings.Contains(string(card), "queries per head | 0 ") {
				t.Errorf("model card counts no queries:\n%s", card)
			}
			// The same figures once sharded and merged.
			dir := t.TempDir()
			var files []string
			for i := range 2 {
				f := filepath.Join(dir, "s"+itoa(i)+".safetensors")
				if code, _, stderr := runCLI(t, "stats", "--model", fixture.Arch(tc.arch), "--corpus", corpus,
					"--num-samples", "6", "--shard", itoa(i)+"/2", "--stats-out", f, "--quiet"); code != 0 {
					t.Fatalf("shard %d: exit %d: %s", i, code, stderr)
				}
				files = append(files, f)
			}
			code, stdout, stderr = runCLI(t, append([]string{"merge", "--out", filepath.Join(dir, "m"), "--json"}, files...)...)
			if code != 0 {
				t.Fatalf("merge: exit %d: %s", code, stderr)
			}
			var m struct {
				jobSummary
				Queries int64 `json:"queries_per_head"`
			}
			if err := json.Unmarshal([]byte(stdout), &m); err != nil {
				t.Fatal(err)
			}
			if m.Queries != sum.Queries || m.Tokens != sum.Tokens {
				t.Errorf("merged: queries_per_head %d, tokens %d; unsharded %d, %d", m.Queries, m.Tokens, sum.Queries, sum.Tokens)
			}
		})
	}
}

// TestEvalPNGDirectoryRefusedFirst: eval --png naming a directory ran the
// whole evaluation, then failed with "writing DIR.png: file exists".
func TestEvalPNGDirectoryRefusedFirst(t *testing.T) {
	dir := t.TempDir()
	png := filepath.Join(dir, "fig.png")
	if err := os.Mkdir(png, 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "eval", "--filters", filepath.Join(dir, "none"), "--png", png, "--quiet")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "is a directory") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 saying %s is a directory", code, stdout, stderr, png)
	}
}

// TestBenchModelCheckedBeforeGEMM: bench --model with a model that does not
// exist measured every GEMM shape (minutes) before saying so; and --preset
// beside --model was silently ignored.
func TestBenchModelCheckedBeforeGEMM(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	code, stdout, stderr := runCLI(t, "bench", "--model", missing, "--quiet")
	if code != 1 || stdout != "" || !strings.Contains(stderr, missing) {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 naming %s before any measurement", code, stdout, stderr, missing)
	}
	// (A model that does not exist: the command never reaches the
	// end-to-end run, which would start this test binary as qfilters.)
	code, stdout, stderr = runCLI(t, "bench", "--model", missing, "--preset", "small", "--skip-gemm", "--quiet")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "--preset") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2: --preset and --model exclude each other", code, stdout, stderr)
	}
}

// TestEvalSeqLenShorterThanRatios: --seq-len below twice the largest
// --ratios leaves no query to evaluate: a bad command line (exit 2), said
// before the model and corpus are read; it was exit 1 from the run.
func TestEvalSeqLenShorterThanRatios(t *testing.T) {
	code, stdout, stderr := runCLI(t, "eval", "--seq-len", "32", "--filters", filepath.Join(t.TempDir(), "none"), "--quiet")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "--seq-len 32") || !strings.Contains(stderr, "--ratios") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 naming --seq-len and --ratios", code, stdout, stderr)
	}
	// 2 x 8 = 16 keys fit in 32 tokens: the check passes and the next one
	// (the missing filters) speaks.
	code, _, stderr = runCLI(t, "eval", "--seq-len", "32", "--ratios", "2,8", "--filters", filepath.Join(t.TempDir(), "none"), "--quiet")
	if code != 1 || !strings.Contains(stderr, "does not exist") {
		t.Errorf("exit %d, stderr %q; want the missing filters", code, stderr)
	}
}

// TestOneSequenceOneQueryWording: "1 queries", "1 sequences" and "all 1
// sequences" in --also-stats's refusal and --until-stable's lines.
func TestOneSequenceOneQueryWording(t *testing.T) {
	dir := t.TempDir()
	_, _, stderr := runCLI(t, "calibrate", "--seq-len", "5", "--num-seqs", "1", "--also-stats", filepath.Join(dir, "a"), "--out", filepath.Join(dir, "f"))
	if !strings.Contains(stderr, "leaves 1 query per head") {
		t.Errorf("--also-stats refusal: %q", stderr)
	}
	code, stdout, stderr := runCLI(t, "calibrate", "--until-stable", "0.99", "--num-seqs", "1", "--out", filepath.Join(dir, "u"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, bad := range []string{"1 sequences", "all 1 sequence"} {
		if strings.Contains(stdout+stderr, bad) {
			t.Errorf("says %q:\n%s%s", bad, stdout, stderr)
		}
	}
	if !strings.Contains(stdout, "used the 1 sequence of --num-seqs") || !strings.Contains(stderr, "until-stable 0.99: 1 sequence (256 tokens)") {
		t.Errorf("until-stable lines:\n%s%s", stdout, stderr)
	}
}

// TestResumeAlsoStatsChecksTheStatistics: calibrate --resume --also-stats
// found its filters complete and declared the run "already complete"
// whatever the --also-stats directory held (another run's filters, other
// statistics): the statistics asked for were never written.
func TestResumeAlsoStatsChecksTheStatistics(t *testing.T) {
	dir := t.TempDir()
	out, stats := filepath.Join(dir, "f"), filepath.Join(dir, "s")
	args := []string{"calibrate", "--num-seqs", "4", "--seq-len", "64", "--resume", "--quiet", "--out", out, "--also-stats", stats}
	if code, _, stderr := runCLI(t, args...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The same command again: done.
	if code, stdout, stderr := runCLI(t, args...); code != 0 || !strings.Contains(stdout, "already complete") {
		t.Fatalf("rerun: exit %d, %q, %q", code, stdout, stderr)
	}
	// Another run's statistics, then not statistics at all, under --also-stats.
	other := filepath.Join(dir, "other")
	if code, _, stderr := runCLI(t, "stats", "--num-samples", "3", "--out", other, "--quiet"); code != 0 {
		t.Fatalf("stats: exit %d: %s", code, stderr)
	}
	filters := filepath.Join(dir, "g")
	if code, _, stderr := runCLI(t, "calibrate", "--num-seqs", "2", "--seq-len", "64", "--quiet", "--out", filters); code != 0 {
		t.Fatalf("calibrate: exit %d: %s", code, stderr)
	}
	for _, s := range []string{other, filters} {
		args[len(args)-1] = s
		code, stdout, stderr := runCLI(t, args...)
		if code != 1 || strings.Contains(stdout, "already complete") || !strings.Contains(stderr, s) {
			t.Errorf("--also-stats %s: exit %d, stdout %q, stderr %q; want exit 1 naming it", s, code, stdout, stderr)
		}
	}
}

// TestEvalFlagsOfASkippedView: --stats with --context -1 (expected_attention
// is a method of the context recall), --decode or --window with a negative
// --cache-size (they shape the perplexity run) were accepted and ignored.
func TestEvalFlagsOfASkippedView(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	for _, tc := range []struct{ args, want []string }{
		{[]string{"--stats", none, "--context", "-1"}, []string{"--stats", "--context"}},
		{[]string{"--decode", "--cache-size", "-1"}, []string{"--decode", "--cache-size"}},
		{[]string{"--window", "8", "--cache-size", "-1"}, []string{"--window", "--cache-size"}},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"eval", "--filters", none, "--quiet"}, tc.args...)...)
		ok := code == 2 && stdout == ""
		for _, w := range tc.want {
			ok = ok && strings.Contains(stderr, w)
		}
		if !ok {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 naming %v", tc.args, code, stdout, stderr, tc.want)
		}
	}
}

// TestInterruptedNoteOnlyWhenSaved: calibrate --resume interrupted before
// its first checkpoint said "progress is saved in OUT.resume" where there
// was none.
func TestInterruptedNoteOnlyWhenSaved(t *testing.T) {
	ckpt := filepath.Join(t.TempDir(), "f.resume")
	j := &calibrateJob{checkpointDir: ckpt}
	if note := j.interruptedNote(); strings.Contains(note, "saved") {
		t.Errorf("no checkpoint yet: note %q", note)
	}
	if err := os.Mkdir(ckpt, 0o755); err != nil {
		t.Fatal(err)
	}
	if note := j.interruptedNote(); !strings.Contains(note, "progress is saved in "+ckpt) {
		t.Errorf("with a checkpoint: note %q", note)
	}
	if note := (&calibrateJob{}).interruptedNote(); note != "" {
		t.Errorf("without --resume: note %q", note)
	}
}
