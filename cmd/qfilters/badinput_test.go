package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// copyDir copies a fixture directory (flat) into a fresh writable one.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	return copyFlat(t, src, filepath.Join(t.TempDir(), filepath.Base(src)))
}

func editJSON(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	edit(v)
	b, _ = json.Marshal(v)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCalibrateBadInputs: every bad input gives one line on stderr, a
// non-zero exit, no panic and no output directory (nor temporary one).
func TestCalibrateBadInputs(t *testing.T) {
	llama31 := fixture.Arch("llama31")
	corpusFile := filepath.Join("..", "..", "assets", "tinystories-sampled", "train.jsonl")
	shard3 := "model-00003-of-00010.safetensors"
	cases := []struct {
		name string
		// setup returns the model dir (or "" for the embedded one) and corpus.
		setup func(t *testing.T) (model, corpus string)
		extra []string
		want  string
		code  int
	}{
		{"missing shard", func(t *testing.T) (string, string) {
			d := copyDir(t, llama31)
			os.Remove(filepath.Join(d, shard3))
			return d, corpusFile
		}, nil, shard3, 1},
		{"truncated shard", func(t *testing.T) (string, string) {
			d := copyDir(t, llama31)
			p := filepath.Join(d, shard3)
			fi, _ := os.Stat(p)
			os.Truncate(p, fi.Size()-10)
			return d, corpusFile
		}, nil, shard3, 1},
		{"corrupt header", func(t *testing.T) (string, string) {
			d := copyDir(t, llama31)
			p := filepath.Join(d, shard3)
			b, _ := os.ReadFile(p)
			binary.LittleEndian.PutUint64(b, 1<<40)
			os.WriteFile(p, b, 0o644)
			return d, corpusFile
		}, nil, "header", 1},
		{"corrupt header JSON", func(t *testing.T) (string, string) {
			d := copyDir(t, llama31)
			p := filepath.Join(d, shard3)
			b, _ := os.ReadFile(p)
			b[8] = '['
			os.WriteFile(p, b, 0o644)
			return d, corpusFile
		}, nil, shard3, 1},
		{"tensor missing from index", func(t *testing.T) (string, string) {
			d := copyDir(t, llama31)
			editJSON(t, filepath.Join(d, "model.safetensors.index.json"), func(v map[string]any) {
				delete(v["weight_map"].(map[string]any), "model.layers.1.mlp.up_proj.weight")
			})
			return d, corpusFile
		}, nil, "model.layers.1.mlp.up_proj.weight missing", 1},
		{"config/weights shape mismatch", func(t *testing.T) (string, string) {
			d := copyDir(t, llama31)
			editJSON(t, filepath.Join(d, "config.json"), func(v map[string]any) { v["intermediate_size"] = 100 })
			return d, corpusFile
		}, nil, "model.layers.0.mlp.gate_proj.weight has shape [128 64], config says [100 64]", 1},
		{"unsupported architecture", func(t *testing.T) (string, string) {
			d := copyDir(t, llama31)
			editJSON(t, filepath.Join(d, "config.json"), func(v map[string]any) { v["model_type"] = "bert" })
			return d, corpusFile
		}, nil, `unsupported architecture: model_type "bert" (LlamaForCausalLM); supported: `, 1},
		{"missing config", func(t *testing.T) (string, string) {
			d := copyDir(t, llama31)
			os.Remove(filepath.Join(d, "config.json"))
			return d, corpusFile
		}, nil, "config.json", 1},
		{"empty corpus", func(t *testing.T) (string, string) {
			p := filepath.Join(t.TempDir(), "empty.jsonl")
			os.WriteFile(p, nil, 0o644)
			return "", p
		}, nil, "no documents", 1},
		{"no document long enough", func(t *testing.T) (string, string) { return "", corpusFile },
			[]string{"--seq-len", "4096"}, "96 documents seen, longest", 1},
		{"invalid JSON line", func(t *testing.T) (string, string) {
			p := filepath.Join(t.TempDir(), "bad.jsonl")
			os.WriteFile(p, []byte("{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"text\": oops}\n"), 0o644)
			return "", p
		}, nil, "bad.jsonl:3", 1},
		{"missing corpus", func(t *testing.T) (string, string) { return "", filepath.Join(t.TempDir(), "nope.jsonl") },
			nil, "nope.jsonl", 1},
		{"corpus required", func(t *testing.T) (string, string) { return copyDir(t, llama31), "" },
			nil, "--corpus is required", 2},
		{"bad samples", func(t *testing.T) (string, string) { return "", corpusFile },
			[]string{"--samples", "lots"}, "--samples must be", 2},
		{"unknown flag", func(t *testing.T) (string, string) { return "", corpusFile },
			[]string{"--bogus"}, "unknown flag: --bogus", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			model, corpus := tc.setup(t)
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			args := []string{"calibrate", "--out", out, "--quiet"}
			if model != "" {
				args = append(args, "--model", model)
			}
			if corpus != "" {
				args = append(args, "--corpus", corpus)
			}
			args = append(args, tc.extra...)
			code, _, stderr := runCLI(t, args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "qfilters: ") {
				t.Errorf("stderr is not one line: %q", stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not mention %q", stderr, tc.want)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Errorf("left behind: %v", entries)
			}
		})
	}
}

// TestCalibrateRefusesExistingOutput: an existing output is never
// half-overwritten; --force replaces it whole.
func TestCalibrateRefusesExistingOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	os.MkdirAll(out, 0o755)
	os.WriteFile(filepath.Join(out, "keep.txt"), []byte("mine"), 0o644)
	code, _, stderr := runCLI(t, "calibrate", "--out", out, "--quiet", "--num-seqs", "2", "--seq-len", "64")
	if code == 0 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "keep.txt")); string(b) != "mine" {
		t.Fatal("existing output was touched")
	}
	// The directory holds the user's file: --force refuses it too.
	if code, _, stderr := runCLI(t, "calibrate", "--out", out, "--quiet", "--num-seqs", "2", "--seq-len", "64", "--force"); code != 1 || !strings.Contains(stderr, "which qfilters did not write") {
		t.Fatalf("--force over a user's directory: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "keep.txt")); string(b) != "mine" {
		t.Fatal("--force touched a user's directory")
	}
	// A directory qfilters wrote is replaced, files of the old run gone.
	os.RemoveAll(out)
	if code, _, stderr := runCLI(t, "calibrate", "--out", out, "--quiet", "--num-seqs", "2", "--seq-len", "64"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	os.WriteFile(filepath.Join(out, "qfilters.safetensors"), []byte("an old run's"), 0o644)
	if code, _, stderr := runCLI(t, "calibrate", "--out", out, "--quiet", "--num-seqs", "2", "--seq-len", "64", "--force"); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "qfilters.safetensors")); string(b) == "an old run's" {
		t.Error("--force kept a file of the old directory")
	}
}

// TestCalibrateNaNWeights: a non-finite weight is reported with the tensor's
// name, not turned into NaN filters.
func TestCalibrateNaNWeights(t *testing.T) {
	dir := copyDir(t, fixture.Arch("llama2"))
	p := filepath.Join(dir, "model.safetensors")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// Poison the last element of the file's last tensor (f16 0x7e00 is NaN)
	// after checking which tensor that is.
	hlen := binary.LittleEndian.Uint64(b)
	var hdr map[string]struct {
		Offsets [2]int64 `json:"data_offsets"`
	}
	json.Unmarshal(b[8:8+hlen], &hdr)
	last, end := "", int64(0)
	for name, e := range hdr {
		if e.Offsets[1] > end && strings.HasSuffix(name, "proj.weight") {
			last, end = name, e.Offsets[1]
		}
	}
	binary.LittleEndian.PutUint16(b[8+int64(hlen)+end-2:], 0x7e00)
	os.WriteFile(p, b, 0o644)
	ids := filepath.Join(t.TempDir(), "ids.jsonl")
	os.WriteFile(ids, []byte(`{"input_ids": [1, 2, 3, 4, 5, 6, 7, 8]}`+"\n"), 0o644)
	code, _, stderr := runCLI(t, "calibrate", "--model", dir, "--corpus", ids, "--out", filepath.Join(t.TempDir(), "o"), "--seq-len", "8", "--num-seqs", "1", "--quiet")
	if code != 1 || !strings.Contains(stderr, "tensor "+last+": NaN or Inf") {
		t.Fatalf("exit %d, stderr %q (poisoned %s)", code, stderr, last)
	}
}

// TestCalibrateBiasConfigMismatch: biases come from the config; a checkpoint
// that has them where the config says none is an error naming the tensor.
func TestCalibrateBiasConfigMismatch(t *testing.T) {
	dir := copyDir(t, fixture.Arch("qwen2"))
	editJSON(t, filepath.Join(dir, "config.json"), func(v map[string]any) { v["attention_bias"] = false })
	ids := filepath.Join(t.TempDir(), "ids.jsonl")
	os.WriteFile(ids, []byte(`{"input_ids": [1, 2, 3, 4]}`+"\n"), 0o644)
	code, _, stderr := runCLI(t, "calibrate", "--model", dir, "--corpus", ids, "--out", filepath.Join(t.TempDir(), "o"), "--seq-len", "4", "--num-seqs", "1", "--quiet")
	if code != 1 || !strings.Contains(stderr, "tensor model.layers.0.self_attn.q_proj.bias is in the checkpoint but the config implies no bias") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestUnknownCommand is a command-line error: exit 2, one line.
func TestUnknownCommand(t *testing.T) {
	code, _, stderr := runCLI(t, "calibrat")
	if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, `unknown command "calibrat"`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
