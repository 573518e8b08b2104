package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/synth"
)

// TestSynthNothingWrittenOnFailure: synth builds the checkpoint beside --out
// and renames it into place, so a write that fails halfway (a full disk,
// gigabytes into a big preset) leaves nothing; an existing --out is refused
// in one line, untouched. It used to write into --out directly and answer
// "mkdir DIR: file exists".
func TestSynthNothingWrittenOnFailure(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "m")
	defer func(w func(string, synth.Preset, uint64) error) { synthWrite = w }(synthWrite)
	synthWrite = func(dir string, p synth.Preset, seed uint64) error {
		if err := synth.Write(dir, p, seed); err != nil {
			t.Fatal(err)
		}
		return errors.New("no space left on device")
	}
	code, stdout, stderr := runCLI(t, "synth", "--preset", "small", "--out", out)
	if code != 1 || stdout != "" || stderr != "qfilters: no space left on device\n" {
		t.Errorf("failed write: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}

	synthWrite = synth.Write
	if code, _, stderr := runCLI(t, "synth", "--preset", "small", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("after a run: %v, want only the output", entries)
	}
	if _, err := os.Stat(filepath.Join(out, "model.safetensors.index.json")); err != nil {
		t.Error(err)
	}
	code, _, stderr = runCLI(t, "synth", "--preset", "small", "--out", out)
	if code != 1 || stderr != "qfilters: output "+out+" already exists\n" {
		t.Errorf("existing output: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "synth", "--preset", "small", "--out", filepath.Join(parent, "no", "m"))
	if code != 1 || !strings.Contains(stderr, "does not exist") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("missing parent: exit %d, stderr %q", code, stderr)
	}
}
