package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/safetensors"
)

// TestResumeAfterKill kills a real calibration process (SIGKILL, no chance
// to clean up) after its first layer checkpoint, resumes it, and checks the
// result is byte-identical to an uninterrupted run.
func TestResumeAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := qfiltersBinary(t)
	modelDir := filepath.Join(dir, "model")
	if code, _, stderr := runCLI(t, "synth", "--preset", "small", "--out", modelDir); code != 0 {
		t.Fatal(stderr)
	}
	var corpus bytes.Buffer
	r := rand.New(rand.NewPCG(1, 1))
	for s := 0; s < 8; s++ {
		ids := make([]int, 384)
		for i := range ids {
			ids[i] = r.IntN(512)
		}
		b, _ := json.Marshal(map[string][]int{"input_ids": ids})
		corpus.Write(append(b, '\n'))
	}
	corpusPath := filepath.Join(dir, "ids.jsonl")
	os.WriteFile(corpusPath, corpus.Bytes(), 0o644)
	args := func(out string) []string {
		return []string{"calibrate", "--model", modelDir, "--corpus", corpusPath, "--seq-len", "384", "--num-seqs", "8",
			"--samples", "500", "--out", out}
	}

	whole := filepath.Join(dir, "whole")
	if code, _, stderr := runCLI(t, append(args(whole), "--quiet")...); code != 0 {
		t.Fatal(stderr)
	}

	out := filepath.Join(dir, "resumed")
	state := filepath.Join(out+".resume", "state.safetensors")
	cmd := exec.Command(bin, append(args(out), "--resume", "--quiet")...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(state); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no checkpoint appeared")
		}
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(out); err == nil {
		t.Fatal("the run finished before it was killed: nothing was resumed")
	}

	code, _, stderr := runCLI(t, append(args(out), "--resume")...)
	if code != 0 {
		t.Fatal(stderr)
	}
	if !strings.Contains(stderr, "resuming from layer") {
		t.Errorf("the second run did not resume: %q", stderr)
	}
	for _, name := range []string{"model.safetensors", "qfilters.safetensors"} {
		a, _ := os.ReadFile(filepath.Join(whole, name))
		b, _ := os.ReadFile(filepath.Join(out, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: resumed run differs from the uninterrupted one", name)
		}
	}
	if _, err := os.Stat(out + ".resume"); !os.IsNotExist(err) {
		t.Error("checkpoint left behind after success")
	}
	// A checkpoint for other inputs is refused, not silently reused.
	os.MkdirAll(out+"2.resume", 0o755)
	b, _ := os.ReadFile(filepath.Join(whole, "model.safetensors"))
	os.WriteFile(filepath.Join(out+"2.resume", "state.safetensors"), b, 0o644)
	if code, _, stderr := runCLI(t, append(args(out+"2"), "--resume", "--quiet")...); code == 0 || !strings.Contains(stderr, "written for other inputs") {
		t.Errorf("foreign checkpoint: exit %d, %q", code, stderr)
	}
}

// TestCheckpointEvery: --checkpoint-every 2 writes the state after layers 1,
// 3, ... only: here the run stops at layer 3 (a NaN weight) holding the
// checkpoint of layers 0-1, not rewritten after layer 2. (That a resumed run
// gives the uninterrupted result is TestResumeAfterKill's.)
func TestCheckpointEvery(t *testing.T) {
	dir := t.TempDir()
	model := copyDir(t, fixture.Stories260K())
	poison(t, model, "model.layers.3.self_attn.q_proj.weight", 0, 0x7fc00000)
	out := filepath.Join(dir, "out")
	args := []string{"calibrate", "--model", model, "--out", out, "--resume", "--checkpoint-every", "2",
		"--corpus", fixture.StoriesCorpus(), "--quiet", "--seq-len", "64", "--num-seqs", "3"}
	if code, _, stderr := runCLI(t, args...); code != 1 || !strings.Contains(stderr, "NaN") {
		t.Fatalf("exit %d, %q", code, stderr)
	}
	ck, err := safetensors.Open(filepath.Join(out+".resume", "state.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	next := ck.Metadata()["next_layer"]
	ck.Close()
	if next != "2" {
		t.Fatalf("checkpoint holds the layers before %s, want 2", next)
	}
	if code, _, stderr := runCLI(t, "calibrate", "--out", out, "--resume", "--checkpoint-every", "bogus", "--quiet"); code != 2 || !strings.Contains(stderr, "--checkpoint-every") {
		t.Errorf("bad --checkpoint-every: exit %d, %q", code, stderr)
	}
}
