package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/safetensors"
)

// TestStatsEmbedded writes the directory kvpress loads, named as kvpress
// names it, with config.json as the Hub mixin writes it.
func TestStatsEmbedded(t *testing.T) {
	t.Chdir(t.TempDir())
	out, _, err := execute(t, "stats", "--num-samples", "6", "--sample-chars", "300", "--json", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	var sum statsSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	dir := "exp_att_stats_stories260K_tinystories-sampled_6_300_4"
	if sum.Out != dir || sum.NumSamples != 6 || sum.Skipped != 0 || sum.Queries <= 0 {
		t.Fatalf("summary %+v", sum)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "dataset_name": "tinystories-sampled",
  "head_dim": 8,
  "model_name": "stories260K",
  "n_sink": 4,
  "num_heads": 8,
  "num_layers": 5,
  "num_samples": 6,
  "sample_seq_len": 300
}`
	if string(cfg) != want {
		t.Errorf("config.json:\n%s\nwant\n%s", cfg, want)
	}
	ck, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	for name, shape := range map[string][]int{"query_mean": {5, 8, 8}, "query_cov": {5, 8, 8, 8}} {
		dt, s, ok := ck.Info(name)
		if !ok || dt != safetensors.F32 || !slices.Equal(s, shape) {
			t.Errorf("%s: %v %v %v, want F32 %v", name, ok, dt, s, shape)
		}
	}
	card, _ := os.ReadFile(filepath.Join(dir, "README.md"))
	if !strings.Contains(string(card), `stats_folder="path/to/this/directory"`) {
		t.Errorf("model card lacks the kvpress snippet:\n%s", card)
	}
	// Each sample is at most 300 characters: fewer queries than 6 x 300 tokens.
	if sum.Queries >= 6*300 {
		t.Errorf("%d queries per head from 6 samples of 300 characters", sum.Queries)
	}
}

// TestStatsShardsMergeCLI: three shards merged give the whole run's
// statistics.
func TestStatsShardsMergeCLI(t *testing.T) {
	tmp := t.TempDir()
	whole := filepath.Join(tmp, "whole")
	args := []string{"stats", "--num-samples", "7", "--sample-chars", "400", "--quiet"}
	if _, _, err := execute(t, append(args, "--out", whole)...); err != nil {
		t.Fatal(err)
	}
	var files []string
	for i := range 3 {
		f := filepath.Join(tmp, "parts", fmt.Sprintf("part%d.safetensors", i)) // parts/ is created
		out, _, err := execute(t, append(args, "--shard", fmt.Sprintf("%d/3", i), "--stats-out", f)...)
		if err != nil {
			t.Fatal(err)
		}
		// A shard's file holds sums of its samples, not the statistics of all.
		if want := fmt.Sprintf("wrote %s: sums of shard %d/3 (%d of 7 samples), ", f, i, (i+1)*7/3-i*7/3); !strings.HasPrefix(out, want) {
			t.Errorf("shard %d says %q, want it to start %q", i, out, want)
		}
		files = append(files, f)
	}
	merged := filepath.Join(tmp, "merged")
	if _, _, err := execute(t, "merge", "--out", merged, files[2], files[0], files[1]); err != nil {
		t.Fatal(err)
	}
	a, err := export.ReadExpStats(whole)
	if err != nil {
		t.Fatal(err)
	}
	b, err := export.ReadExpStats(merged)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2][]float32{{a.Mean, b.Mean}, {a.Cov, b.Cov}} {
		for i := range p[0] {
			if math.Abs(float64(p[0][i]-p[1][i])) > 1e-6*(1+math.Abs(float64(p[0][i]))) {
				t.Fatalf("merged %v vs whole %v at %d", p[1][i], p[0][i], i)
			}
		}
	}
	ca, _ := os.ReadFile(filepath.Join(whole, "config.json"))
	cb, _ := os.ReadFile(filepath.Join(merged, "config.json"))
	if string(ca) != string(cb) {
		t.Errorf("config.json differs:\n%s\n%s", ca, cb)
	}
	// A shard missing is refused.
	if _, _, err := execute(t, "merge", "--out", filepath.Join(tmp, "m2"), files[0], files[1]); err == nil {
		t.Error("merge with a shard missing succeeded")
	}
	// --sign has nothing to override here: a usage error, not ignored.
	if _, _, err := execute(t, "merge", "--sign", "mean", "--out", filepath.Join(tmp, "m3"), files[0], files[1], files[2]); exitCode(err) != 2 || !strings.Contains(err.Error(), "which have none") {
		t.Errorf("merge --sign of statistics shards: %v", err)
	}
	if _, err := os.Stat(filepath.Join(tmp, "m3")); err == nil {
		t.Error("merge --sign of statistics shards wrote its output")
	}
}

// TestStatsSkipsShortSamples: samples no longer than --n-sink are skipped
// and counted, on stderr and in the summary.
func TestStatsSkipsShortSamples(t *testing.T) {
	tmp := t.TempDir()
	corpus := filepath.Join(tmp, "c.jsonl")
	lines := []string{`{"text": "Once upon a time, there was a little girl named Lily who liked to run in the park."}`,
		`{"text": ""}`, `{"text": "Hi"}`,
		`{"text": "One day, a big dog came to the park and wanted to play with a red ball."}`}
	if err := os.WriteFile(corpus, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join("..", "..", "assets", "stories260K")
	code, stdout, stderr := runCLI(t, "stats", "--model", model, "--corpus", corpus, "--num-samples", "4", "--n-sink", "4",
		"--out", filepath.Join(tmp, "out"), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "skipped 2 of 4 samples") {
		t.Errorf("stderr %q does not say 2 of 4 samples were skipped", stderr)
	}
	var sum statsSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum.Skipped != 2 {
		t.Errorf("summary %+v (%v)", sum, err)
	}
	// Cutting counts characters, not bytes.
	if got := cutChars("héllo wörld", 4); got != "héll" || !utf8.ValidString(got) {
		t.Errorf("cutChars: %q", got)
	}
}

// TestEmbeddedBaseName: outputs named after the embedded model use its
// folder name (calibrate writes stories260K_qfilt, eval reads it), not the
// display name "stories260K (embedded)".
func TestEmbeddedBaseName(t *testing.T) {
	in, err := resolveInputs("", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer in.cleanup()
	if in.baseName != "stories260K" {
		t.Errorf("embedded base name %q, want stories260K", in.baseName)
	}
}

// TestCalibrateAlsoStats: one calibrate run writes the same filters as
// without --also-stats, and statistics of its sequences.
func TestCalibrateAlsoStats(t *testing.T) {
	tmp := t.TempDir()
	plain, both, stats := filepath.Join(tmp, "plain"), filepath.Join(tmp, "both"), filepath.Join(tmp, "stats")
	if _, _, err := execute(t, "calibrate", "--out", plain, "--quiet", "--num-seqs", "4"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := execute(t, "calibrate", "--out", both, "--also-stats", stats, "--quiet", "--num-seqs", "4"); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(plain, "model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(both, "model.safetensors"))
	if len(a) == 0 || string(a) != string(b) {
		t.Error("--also-stats changed the filters")
	}
	es, err := export.ReadExpStats(stats)
	if err != nil {
		t.Fatal(err)
	}
	if es.NumSamples != 4 || es.SampleSeqLen != 256 || es.NSink != 4 || es.Layers != 5 {
		t.Errorf("statistics %d samples of %d, n_sink %d, %d layers", es.NumSamples, es.SampleSeqLen, es.NSink, es.Layers)
	}
	code, _, stderr := runCLI(t, "calibrate", "--also-stats", filepath.Join(tmp, "s2"), "--shard", "0/2", "--stats-out", filepath.Join(tmp, "p"), "--quiet")
	if code != 2 || !strings.Contains(stderr, "--also-stats") {
		t.Errorf("--also-stats with --stats-out: exit %d, %q", code, stderr)
	}
}

// TestCalibrateAlsoStatsNothingWritten: an --also-stats target that cannot
// be written is refused before the run, or, when only the write finds out,
// takes the filters written just before with it: a failed run leaves
// nothing (it used to leave the filters).
func TestCalibrateAlsoStatsNothingWritten(t *testing.T) {
	tmp := t.TempDir()
	out, file := filepath.Join(tmp, "out"), filepath.Join(tmp, "file")
	os.WriteFile(file, []byte("mine"), 0o644)
	for _, tc := range []struct {
		stats, out string
		code       int
		want       string
		extra      []string
	}{
		{out, out, 2, "overlap: give each a directory of its own", nil},
		{filepath.Join(out, "stats"), out, 2, "overlap", nil},
		{out, filepath.Join(out, "filters"), 2, "overlap", nil},
		{file, out, 1, "exists and is not a directory", []string{"--force"}},
		{filepath.Join(file, "stats"), out, 1, "not a directory", nil},
	} {
		args := append([]string{"calibrate", "--out", tc.out, "--also-stats", tc.stats, "--quiet", "--num-seqs", "2"}, tc.extra...)
		code, stdout, stderr := runCLI(t, args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
			t.Errorf("--also-stats %s --out %s: exit %d, stderr %q", tc.stats, tc.out, code, stderr)
		}
		if entries, _ := os.ReadDir(tmp); len(entries) != 1 {
			t.Errorf("--also-stats %s --out %s: left %v", tc.stats, tc.out, entries)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "mine" {
		t.Error("a file named by --also-stats was touched")
	}
}
