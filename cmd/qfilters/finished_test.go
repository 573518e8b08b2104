package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResumeFinishedIsDone: rerunning a finished job with --resume (a
// re-submitted Slurm array, a retried CI step) exits 0 saying so and leaves
// the output as it was; an output of other inputs or settings is still
// refused, naming the difference.
func TestResumeFinishedIsDone(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	shard := filepath.Join(tmp, "shard0.safetensors")
	base := []string{"--quiet", "--num-seqs", "4", "--seq-len", "64", "--resume"}
	for _, target := range [][]string{{"--out", out}, {"--shard", "0/2", "--stats-out", shard}} {
		args := append(append([]string{"calibrate"}, target...), base...)
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
		before := snapshot(t, tmp)
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "is already complete") {
			t.Errorf("%v again: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
		if !sameFiles(before, snapshot(t, tmp)) {
			t.Errorf("%v again changed files", args)
		}
		code, _, stderr = runCLI(t, append(args, "--seed", "1")...)
		if code != 1 || !strings.Contains(stderr, "holds another run (--seed 1, it has 0)") {
			t.Errorf("%v --seed 1: exit %d, %q", args, code, stderr)
		}
		code, _, stderr = runCLI(t, append(args, "--samples", "all")...)
		if code != 1 || !strings.Contains(stderr, `holds another run (samples "all", it has "3000")`) {
			t.Errorf("%v --samples all: exit %d, %q", args, code, stderr)
		}
		if !sameFiles(before, snapshot(t, tmp)) {
			t.Errorf("%v refused runs changed files", args)
		}
	}
	// A directory that is not a finished run is refused as before.
	os.WriteFile(filepath.Join(out, "qfilters.json"), []byte("{"), 0o644)
	code, _, stderr := runCLI(t, "calibrate", "--out", out, "--quiet", "--num-seqs", "4", "--seq-len", "64", "--resume")
	if code != 1 || !strings.Contains(stderr, "is not a finished run to resume") {
		t.Errorf("broken provenance: exit %d, %q", code, stderr)
	}
}

// TestModelPathNames: --model ., a trailing slash and DIR/config.json name
// the outputs and the provenance after the directory's real name (they
// gave ._qfilt, and config.json/config.json failed).
func TestModelPathNames(t *testing.T) {
	model := copyFlat(t, storiesSrc, filepath.Join(t.TempDir(), "tiny-llama"))
	corpus, _ := filepath.Abs(storiesCorpus)
	t.Chdir(model)
	for _, arg := range []string{".", "./", "config.json", "./config.json", "../tiny-llama/"} {
		os.RemoveAll("tiny-llama_qfilt")
		code, stdout, stderr := runCLI(t, "calibrate", "--model", arg, "--corpus", corpus, "--quiet", "--num-seqs", "2", "--seq-len", "64")
		if code != 0 || !strings.HasPrefix(stdout, "wrote tiny-llama_qfilt:") {
			t.Errorf("--model %s: exit %d, stdout %q, stderr %q", arg, code, stdout, stderr)
			continue
		}
		prov, _ := os.ReadFile(filepath.Join("tiny-llama_qfilt", "qfilters.json"))
		card, _ := os.ReadFile(filepath.Join("tiny-llama_qfilt", "README.md"))
		want := "tiny-llama"
		if arg == "../tiny-llama/" {
			want = "../tiny-llama"
		}
		if !strings.Contains(string(prov), `"model": "`+want+`"`) || !strings.Contains(string(card), "model: "+want) {
			t.Errorf("--model %s: provenance/card do not name %s", arg, want)
		}
	}
}
