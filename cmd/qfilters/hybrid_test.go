package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/safetensors"
)

// idsCorpus writes the golden input_ids of an arch fixture as a
// pre-tokenized corpus and returns its path, the number of sequences and
// their length.
func idsCorpus(t *testing.T, arch string) (string, int, int) {
	t.Helper()
	g, err := safetensors.Open(filepath.Join(fixture.Arch(arch), "golden.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	idsT, _ := g.Tensor("input_ids")
	ids, _ := idsT.Int64()
	n, seq := idsT.Shape[0], idsT.Shape[1]
	var lines bytes.Buffer
	for s := 0; s < n; s++ {
		b, _ := json.Marshal(map[string]any{"input_ids": ids[s*seq : (s+1)*seq]})
		lines.Write(append(b, '\n'))
	}
	path := filepath.Join(t.TempDir(), "ids.jsonl")
	if err := os.WriteFile(path, lines.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, n, seq
}

// TestHybridFilterDirectory calibrates the tiny Qwen 3.5 (layers 0 and 2
// linear attention) through the command line: q_filters keeps a row per
// decoder layer (zeros without a cache) so that q_filters[layer_idx] is
// right, config.json says which layers have a cache, the filters of the
// others match transformers' golden, and inspect, diff and sharded merge
// show those layers as without a cache.
func TestHybridFilterDirectory(t *testing.T) {
	arch := "qwen3_5"
	dir := fixture.Arch(arch)
	corpus, n, seq := idsCorpus(t, arch)
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	common := []string{"--model", dir, "--corpus", corpus, "--seq-len", fmt.Sprint(seq), "--num-seqs", fmt.Sprint(n), "--quiet"}
	if code, _, stderr := runCLI(t, append([]string{"calibrate", "--out", out, "--samples", "all"}, common...)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cfg, err := os.ReadFile(filepath.Join(out, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "kv_head_dim": 32,
  "layer_caches": [
    "none",
    "own",
    "none",
    "own"
  ],
  "num_kv_heads": 2,
  "num_layers": 4
}`
	if string(cfg) != want {
		t.Errorf("config.json:\n%s\nwant\n%s", cfg, want)
	}
	f, err := export.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.NoCache, []int{0, 2}) {
		t.Fatalf("NoCache %v", f.NoCache)
	}
	g, _ := safetensors.Open(filepath.Join(dir, "golden.safetensors"))
	defer g.Close()
	wt, _ := g.Tensor("filters")
	golden, _ := wt.Float32()
	d := f.HeadDim
	for i := 0; i < f.Layers*f.KVHeads; i++ {
		l := i / f.KVHeads
		got := f.QFilters[i*d : (i+1)*d]
		if !f.HasCache(l) {
			if export.Norm(got) != 0 {
				t.Errorf("layer %d has no cache but a nonzero filter", l)
			}
			continue
		}
		if c := export.Cosine(got, golden[i*d:(i+1)*d]); c < 0.9999 {
			t.Errorf("layer %d kv head %d: cosine %.6f", l, i%f.KVHeads, c)
		}
	}

	code, stdout, stderr := runCLI(t, "inspect", out)
	if code != 0 {
		t.Fatalf("inspect: %s", stderr)
	}
	if !strings.Contains(stdout, "layers without a KV cache (linear attention, no filter; blank rows below): 0, 2") {
		t.Errorf("inspect does not name the layers without a cache:\n%s", stdout)
	}
	code, stdout, _ = runCLI(t, "inspect", "--json", out)
	var rep struct {
		NoCache []int `json:"no_cache_layers"`
		KV      []struct {
			Layer   int      `json:"layer"`
			Norm    *float64 `json:"norm"`
			NoCache bool     `json:"no_cache"`
		} `json:"kv"`
		Summary []struct {
			Count int `json:"count"`
			Level string
		} `json:"summary"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil {
		t.Fatalf("inspect --json: exit %d\n%s", code, stdout)
	}
	for _, r := range rep.KV {
		if r.NoCache != (r.Layer%2 == 0) || (r.Norm == nil) != r.NoCache {
			t.Errorf("inspect --json kv row %+v", r)
		}
	}
	if !slices.Equal(rep.NoCache, []int{0, 2}) || rep.Summary[0].Count != 4 {
		t.Errorf("inspect --json: no_cache_layers %v, summary %+v (want 4 kv heads summarized)", rep.NoCache, rep.Summary)
	}

	// Shards merge into the same directory, layers without a cache included.
	var stats []string
	for i := 0; i < 2; i++ {
		s := filepath.Join(tmp, fmt.Sprintf("s%d.safetensors", i))
		if code, _, stderr := runCLI(t, append([]string{"calibrate", "--shard", fmt.Sprintf("%d/2", i), "--stats-out", s, "--samples", "100"}, common...)...); code != 0 {
			t.Fatalf("shard %d: %s", i, stderr)
		}
		stats = append(stats, s)
	}
	merged := filepath.Join(tmp, "merged")
	if code, _, stderr := runCLI(t, append([]string{"merge", "--out", merged}, stats...)...); code != 0 {
		t.Fatalf("merge: %s", stderr)
	}
	whole := filepath.Join(tmp, "whole")
	if code, _, stderr := runCLI(t, append([]string{"calibrate", "--out", whole, "--samples", "100"}, common...)...); code != 0 {
		t.Fatalf("calibrate: %s", stderr)
	}
	a, _ := os.ReadFile(filepath.Join(merged, "model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(whole, "model.safetensors"))
	ca, _ := os.ReadFile(filepath.Join(merged, "config.json"))
	if !bytes.Equal(a, b) || string(ca) != want {
		t.Error("merged shards differ from the whole run")
	}

	// eval measures recall over the layers with a cache and decodes
	// through the linear ones with their recurrent state.
	code, stdout, stderr = runCLI(t, "eval", "--model", dir, "--filters", out, "--corpus", corpus, "--skip-docs", "0",
		"--max-docs", fmt.Sprint(n), "--seq-len", fmt.Sprint(seq), "--cache-size", "24", "--context", "-1", "--json", "--quiet")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var ev struct {
		Recall []struct {
			Method   string      `json:"method"`
			Mean     []float64   `json:"mean"`
			PerLayer [][]float64 `json:"per_layer"`
		} `json:"recall"`
		Perplexity *struct {
			Methods []struct {
				Method string  `json:"method"`
				PPL    float64 `json:"ppl"`
			} `json:"methods"`
		} `json:"perplexity"`
	}
	if err := json.Unmarshal([]byte(stdout), &ev); err != nil || len(ev.Recall) == 0 || ev.Perplexity == nil {
		t.Fatalf("eval --json: %v\n%s", err, stdout)
	}
	for _, r := range ev.Recall {
		for l, pl := range r.PerLayer {
			if (pl == nil) != (l%2 == 0) {
				t.Errorf("%s: recall of layer %d: %v (layers 0 and 2 have no cache)", r.Method, l, pl)
			}
		}
		if !(r.Mean[0] > 0 && r.Mean[0] <= 1) {
			t.Errorf("%s: mean recall %v", r.Method, r.Mean)
		}
	}
	for _, p := range ev.Perplexity.Methods {
		if !(p.PPL > 1) {
			t.Errorf("perplexity of %s: %v", p.Method, p.PPL)
		}
	}

	code, stdout, stderr = runCLI(t, "diff", out, whole)
	if code != 0 && code != 1 {
		t.Fatalf("diff: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "L0    no KV cache (linear attention)") || !strings.Contains(stdout, "(4 kv heads)") {
		t.Errorf("diff output:\n%s", stdout)
	}
}

// TestGemma4FilterDirectory calibrates the tiny wrapped Gemma 4 (global
// layers 2 and 5 with 1 kv head of 32 dims, sliding ones 2 of 16; layers 4
// and 5 read the caches of 3 and 2) through the command line: config.json
// gives each layer's cache and shape, the readers' rows are their owners',
// inspect marks the padding heads, shards merge to the whole run, and eval
// runs over every layer.
func TestGemma4FilterDirectory(t *testing.T) {
	arch := "gemma4"
	dir := fixture.Arch(arch)
	corpus, n, seq := idsCorpus(t, arch)
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	common := []string{"--model", dir, "--corpus", corpus, "--seq-len", fmt.Sprint(seq), "--num-seqs", fmt.Sprint(n), "--quiet"}
	if code, _, stderr := runCLI(t, append([]string{"calibrate", "--out", out, "--samples", "100"}, common...)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := export.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if f.KVHeads != 2 || f.HeadDim != 32 || !slices.Equal(f.LayerHeadDim, []int{16, 16, 32, 16, 16, 32}) ||
		!slices.Equal(f.LayerKVHeads, []int{2, 2, 1, 2, 2, 1}) || !slices.Equal(f.KVOwner, []int{0, 1, 2, 3, 3, 2}) {
		t.Fatalf("read back [%d kv heads x %d], dims %v, kv heads %v, owners %v", f.KVHeads, f.HeadDim, f.LayerHeadDim, f.LayerKVHeads, f.KVOwner)
	}
	cfg, _ := os.ReadFile(filepath.Join(out, "config.json"))
	if !strings.Contains(string(cfg), `"shared:3"`) || !strings.Contains(string(cfg), `"layer_head_dims"`) {
		t.Errorf("config.json:\n%s", cfg)
	}
	code, stdout, _ := runCLI(t, "inspect", "--json", out)
	var rep struct {
		KV []struct {
			Layer, Head int
			Norm        *float64
			Padding     bool
		} `json:"kv"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil {
		t.Fatalf("inspect --json: exit %d\n%s", code, stdout)
	}
	for _, r := range rep.KV {
		pad := (r.Layer == 2 || r.Layer == 5) && r.Head == 1
		if r.Padding != pad || (r.Norm == nil) != pad {
			t.Errorf("inspect kv row %+v", r)
		}
	}
	var stats []string
	for i := 0; i < 3; i++ {
		s := filepath.Join(tmp, fmt.Sprintf("s%d.safetensors", i))
		if code, _, stderr := runCLI(t, append([]string{"calibrate", "--shard", fmt.Sprintf("%d/3", i), "--stats-out", s, "--samples", "100"}, common...)...); code != 0 {
			t.Fatalf("shard %d: %s", i, stderr)
		}
		stats = append(stats, s)
	}
	merged := filepath.Join(tmp, "merged")
	if code, _, stderr := runCLI(t, append([]string{"merge", "--out", merged}, stats...)...); code != 0 {
		t.Fatalf("merge: %s", stderr)
	}
	a, _ := os.ReadFile(filepath.Join(merged, "model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(out, "model.safetensors"))
	ca, _ := os.ReadFile(filepath.Join(merged, "config.json"))
	if !bytes.Equal(a, b) || !bytes.Equal(ca, cfg) {
		t.Error("merged shards differ from the whole run")
	}
	code, stdout, stderr := runCLI(t, "eval", "--model", dir, "--filters", out, "--corpus", corpus, "--skip-docs", "0",
		"--max-docs", fmt.Sprint(n), "--seq-len", fmt.Sprint(seq), "--cache-size", "12", "--ratios", "2,4", "--context", "-1", "--json", "--quiet")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var ev struct {
		Recall []struct {
			PerLayer [][]float64 `json:"per_layer"`
		} `json:"recall"`
	}
	if err := json.Unmarshal([]byte(stdout), &ev); err != nil || len(ev.Recall) == 0 {
		t.Fatalf("eval --json: %v\n%s", err, stdout)
	}
	for l, pl := range ev.Recall[0].PerLayer {
		if pl == nil {
			t.Errorf("no recall for layer %d", l)
		}
	}
}
