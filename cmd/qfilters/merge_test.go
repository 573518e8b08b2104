package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShardedCLI: three shards through the CLI, merged in shuffled order,
// give byte-identical filters to the unsharded run.
func TestShardedCLI(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--quiet", "--num-seqs", "6", "--seq-len", "64", "--samples", "200"}
	whole := filepath.Join(dir, "whole")
	if code, _, stderr := runCLI(t, append([]string{"calibrate", "--out", whole}, common...)...); code != 0 {
		t.Fatal(stderr)
	}
	var files []string
	for _, i := range []int{2, 0, 1} {
		f := filepath.Join(dir, fmt.Sprintf("s%d.safetensors", i))
		args := append([]string{"calibrate", "--shard", fmt.Sprintf("%d/3", i), "--stats-out", f}, common...)
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatal(stderr)
		}
		files = append(files, f)
	}
	merged := filepath.Join(dir, "merged")
	if code, _, stderr := runCLI(t, append([]string{"merge", "--out", merged}, files...)...); code != 0 {
		t.Fatal(stderr)
	}
	for _, name := range []string{"model.safetensors", "qfilters.safetensors"} {
		a, _ := os.ReadFile(filepath.Join(whole, name))
		b, _ := os.ReadFile(filepath.Join(merged, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the whole and the merged run", name)
		}
	}
	// Mismatched and incomplete sets are refused with one line.
	other := filepath.Join(dir, "other.safetensors")
	runCLI(t, append([]string{"calibrate", "--shard", "1/3", "--stats-out", other, "--seed", "9"}, common...)...)
	for _, tc := range []struct {
		files []string
		want  string
	}{
		{[]string{files[1], other, files[0]}, "does not belong"},
		{files[:2], "missing shards: 1/3"},
		{[]string{filepath.Join(whole, "model.safetensors")}, "not a qfilters stats file"},
	} {
		code, _, stderr := runCLI(t, append([]string{"merge", "--out", filepath.Join(dir, "x")}, tc.files...)...)
		if code == 0 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("merge %v: exit %d, stderr %q, want %q", tc.files, code, stderr, tc.want)
		}
	}
	if code, _, stderr := runCLI(t, "calibrate", "--shard", "1/3", "--quiet"); code != 2 || !strings.Contains(stderr, "--stats-out") {
		t.Errorf("--shard without --stats-out: exit %d %q", code, stderr)
	}
}
