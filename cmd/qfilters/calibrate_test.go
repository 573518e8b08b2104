package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/kernels"
	"github.com/qfilters/qfilters/safetensors"
)

// runCLI runs the command line as main does and returns exit code, stdout
// and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestCalibrateEmbeddedDefault runs the main job on the embedded model and
// checks the directory against the kvpress layout.
func TestCalibrateEmbeddedDefault(t *testing.T) {
	out := filepath.Join(t.TempDir(), "stories260K_qfilt")
	code, stdout, stderr := runCLI(t, "calibrate", "--out", out, "--json", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum calibrateSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout)
	}
	if sum.Layers != 5 || sum.KVHeads != 4 || sum.HeadDim != 8 || sum.Sequences != 20 || sum.SeqLen != 256 || sum.SamplesPerLayer != 3000 {
		t.Errorf("summary %+v", sum)
	}
	if !(sum.MeanEnergyShare > 0.5 && sum.MeanEnergyShare <= 1) {
		t.Errorf("mean energy share %v: stories260K's queries are strongly anisotropic (REFERENCE.md: ~0.8)", sum.MeanEnergyShare)
	}
	// The kvpress files, with the reference library's names, dtype and layout.
	ck, err := safetensors.Open(filepath.Join(out, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	if names := ck.Names(); len(names) != 1 || names[0] != "q_filters" {
		t.Errorf("model.safetensors holds %v, want only q_filters", names)
	}
	dt, shape, _ := ck.Info("q_filters")
	if dt != safetensors.F32 || fmt.Sprint(shape) != "[5 4 8]" {
		t.Errorf("q_filters is %s %v", dt, shape)
	}
	cfg, err := os.ReadFile(filepath.Join(out, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"kv_head_dim\": 8,\n  \"num_kv_heads\": 4,\n  \"num_layers\": 5\n}"
	if string(cfg) != want {
		t.Errorf("config.json = %q, want %q", cfg, want)
	}
	card, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil || !strings.HasPrefix(string(card), "---\ntags:\n") || !strings.Contains(string(card), "stories260K") {
		t.Errorf("README.md model card: %v\n%s", err, card)
	}
	f, err := export.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	p := f.Provenance
	if p == nil || p.Seed != 0 || p.Samples != "3000" || p.Tokens != 20*256 || p.ConfigSHA256 == "" || p.CorpusSHA256 == "" || p.Sign != "vote" {
		t.Errorf("provenance %+v", p)
	}
	// Unit-norm query-head filters, averaged per GQA group.
	for i := 0; i < f.Layers*f.Heads; i++ {
		var n float64
		for _, v := range f.PerQueryHead[i*8 : (i+1)*8] {
			n += float64(v) * float64(v)
		}
		if math.Abs(n-1) > 1e-5 {
			t.Fatalf("query head %d filter has norm² %v", i, n)
		}
	}
}

// TestCalibrateDeterministic: the same inputs give byte-identical outputs; a
// different seed changes the sample.
func TestCalibrateDeterministic(t *testing.T) {
	dir := t.TempDir()
	read := func(name string, extra ...string) []byte {
		out := filepath.Join(dir, name)
		args := append([]string{"calibrate", "--out", out, "--quiet", "--num-seqs", "4", "--seq-len", "128", "--samples", "200"}, extra...)
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(out, "qfilters.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := read("a"), read("b"), read("c", "--seed", "7")
	if !bytes.Equal(a, b) {
		t.Error("two identical runs wrote different files")
	}
	if bytes.Equal(a, c) {
		t.Error("a different seed gave identical singular values: the seed is not used")
	}
}

// TestCalibrateGoldenViaCLI calibrates fixtures from a pre-tokenized corpus of
// their golden input_ids with every position and compares with the golden
// filters (fixtures without a tied reference vote; ties are covered by the
// calibrate package's golden test).
func TestCalibrateGoldenViaCLI(t *testing.T) {
	for _, arch := range []string{"llama2", "mistral", "phi4mini_partial"} {
		t.Run(arch, func(t *testing.T) {
			dir := fixture.Arch(arch)
			g, err := safetensors.Open(filepath.Join(dir, "golden.safetensors"))
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
			tmp := t.TempDir()
			corpusPath := filepath.Join(tmp, "ids.jsonl")
			os.WriteFile(corpusPath, lines.Bytes(), 0o644)
			out := filepath.Join(tmp, "out")
			code, _, stderr := runCLI(t, "calibrate", "--model", dir, "--corpus", corpusPath, "--out", out,
				"--seq-len", fmt.Sprint(seq), "--num-seqs", fmt.Sprint(n), "--samples", "all", "--quiet")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			f, err := export.Read(out)
			if err != nil {
				t.Fatal(err)
			}
			wt, _ := g.Tensor("filters")
			want, _ := wt.Float32()
			d := f.HeadDim
			for i := 0; i < len(want)/d; i++ {
				if c := export.Cosine(f.QFilters[i*d:(i+1)*d], want[i*d:(i+1)*d]); c < 0.9999 {
					t.Errorf("layer %d kv head %d: cosine %.6f", i/f.KVHeads, i%f.KVHeads, c)
				}
			}
		})
	}
}

// TestCalibrateBF16 : the bf16 compute path (the reference's GPU autocast)
// gives filters close to float32 ones, and is recorded in the provenance.
func TestCalibrateBF16(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--quiet", "--num-seqs", "6", "--seq-len", "128"}
	for _, p := range []string{"f32", "bf16"} {
		code, _, stderr := runCLI(t, append([]string{"calibrate", "--out", filepath.Join(dir, p), "--precision", p}, common...)...)
		if code != 0 {
			t.Fatal(stderr)
		}
		// bf16 without a native dot product says it is emulated.
		if warned := strings.Contains(stderr, "no native bf16"); warned != (p == "bf16" && !kernels.NativeBF16()) {
			t.Errorf("--precision %s on %s: stderr %q", p, kernels.CurrentPath(), stderr)
		}
	}
	// Forced onto a path without bf16 dot products, bf16 says so.
	for _, path := range kernels.Paths() {
		restore := kernels.SetPath(path)
		if !kernels.NativeBF16() {
			_, _, stderr := runCLI(t, append([]string{"calibrate", "--out", filepath.Join(dir, "emu"+path.String()), "--precision", "bf16"}, common...)...)
			if !strings.Contains(stderr, "--precision bf16: this CPU has no native bf16 dot product") {
				t.Errorf("bf16 on the %v path: stderr %q", path, stderr)
			}
		}
		restore()
	}
	if code, stdout, stderr := runCLI(t, "diff", filepath.Join(dir, "f32"), filepath.Join(dir, "bf16"), "--min-cos", "0.999"); code != 0 {
		t.Errorf("bf16 filters drift from f32 ones: %s %s", stdout, stderr)
	}
	f, err := export.Read(filepath.Join(dir, "bf16"))
	if err != nil || f.Provenance.Precision != "bf16" {
		t.Errorf("provenance precision: %v %+v", err, f.Provenance)
	}
	if code, _, stderr := runCLI(t, append([]string{"calibrate", "--out", filepath.Join(dir, "x"), "--precision", "fp8"}, common...)...); code != 2 || !strings.Contains(stderr, `--precision must be f32 or bf16, got "fp8"`) {
		t.Errorf("bad precision: exit %d %q", code, stderr)
	}
}

// TestCalibrateCreatesParents: --out inside directories that do not exist
// yet works (make demo writes out/stories260K_qfilt on a fresh clone).
func TestCalibrateCreatesParents(t *testing.T) {
	out := filepath.Join(t.TempDir(), "a", "b", "filters")
	if code, _, stderr := runCLI(t, "calibrate", "--out", out, "--quiet", "--num-seqs", "2", "--seq-len", "64"); code != 0 {
		t.Fatal(stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
}

// TestStoriesEnergyAnchor checks the whole pipeline on real data against the
// published anchor (shared/docs/REFERENCE.md): stories260K on 32 x 128 tokens
// of its own samples has a first-direction share of query energy per query
// head of mean 0.80, min 0.49, max 0.93.
func TestStoriesEnergyAnchor(t *testing.T) {
	out := filepath.Join(t.TempDir(), "f")
	code, stdout, stderr := runCLI(t, "calibrate", "--out", out, "--quiet", "--json", "--num-seqs", "32", "--seq-len", "128", "--samples", "all")
	if code != 0 {
		t.Fatal(stderr)
	}
	var sum calibrateSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if math.Abs(sum.MeanEnergyShare-0.80) > 0.01 || math.Abs(sum.MinEnergyShare-0.49) > 0.01 {
		t.Errorf("energy share mean %.4f min %.4f, published anchor 0.80 / 0.49", sum.MeanEnergyShare, sum.MinEnergyShare)
	}
	f, err := export.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	maxShare := 0.0
	for i := 0; i < f.Layers*f.Heads; i++ {
		maxShare = math.Max(maxShare, export.EnergyShare(f.SingularValues[i*f.HeadDim:(i+1)*f.HeadDim]))
	}
	if math.Abs(maxShare-0.93) > 0.01 {
		t.Errorf("max energy share %.4f, published anchor 0.93", maxShare)
	}
}

func TestModelBaseName(t *testing.T) {
	for dir, want := range map[string]string{
		"/models/Llama-3.2-1B": "Llama-3.2-1B",
		"Llama-3.2-1B/":        "Llama-3.2-1B",
		"/root/.cache/huggingface/hub/models--meta-llama--Llama-3.1-8B-Instruct/snapshots/0e9e39f": "Llama-3.1-8B-Instruct",
		"/x/snapshots/abc": "abc",
	} {
		if got := modelBaseName(dir); got != want {
			t.Errorf("modelBaseName(%q) = %q, want %q", dir, got, want)
		}
	}
}

// TestTokenizerCheckedFirst: a tokenizer that cannot be loaded is reported
// at the first text document, before the rest of the corpus is read (here,
// before a malformed line 2 that would otherwise be the error).
func TestTokenizerCheckedFirst(t *testing.T) {
	model := copyDir(t, fixture.Stories260K())
	os.WriteFile(filepath.Join(model, "tokenizer.json"), []byte("{"), 0o644)
	corpusPath := filepath.Join(t.TempDir(), "c.jsonl")
	os.WriteFile(corpusPath, []byte(`{"text": "Once upon a time"}`+"\n"+"not json\n"), 0o644)
	code, _, stderr := runCLI(t, "calibrate", "--model", model, "--corpus", corpusPath, "--out", filepath.Join(t.TempDir(), "o"), "--quiet")
	if code != 1 || !strings.Contains(stderr, "needs the model's tokenizer") || strings.Contains(stderr, ":2") {
		t.Errorf("exit %d, %q", code, stderr)
	}
}
