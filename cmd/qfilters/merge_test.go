package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/internal/fixture"
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

// TestShardIdentityByContent: shards and resumed runs are identified by
// what their inputs hold, not by the paths they were given: the same model
// at another path (a trailing slash, another mount) merges, and a model with
// the same config but other weights neither merges nor resumes.
func TestShardIdentityByContent(t *testing.T) {
	dir := t.TempDir()
	a := copyDir(t, fixture.Stories260K())
	elsewhere := copyFlat(t, a, filepath.Join(dir, "mnt", "x", "stories260K"))
	common := []string{"--quiet", "--corpus", fixture.StoriesCorpus(), "--num-seqs", "4", "--seq-len", "64", "--samples", "100"}
	shard := func(model, spec, out string) {
		t.Helper()
		if code, _, stderr := runCLI(t, append([]string{"calibrate", "--model", model, "--shard", spec, "--stats-out", out}, common...)...); code != 0 {
			t.Fatal(stderr)
		}
	}
	s0, s1 := filepath.Join(dir, "s0.safetensors"), filepath.Join(dir, "s1.safetensors")
	shard(a, "0/2", s0)
	shard(elsewhere+"/", "1/2", s1)
	if code, _, stderr := runCLI(t, "merge", "--out", filepath.Join(dir, "merged"), s0, s1); code != 0 {
		t.Fatalf("same model at two paths: %s", stderr)
	}
	f, err := export.Read(filepath.Join(dir, "merged"))
	if err != nil {
		t.Fatal(err)
	}
	if p := f.Provenance; p == nil || p.Model != a || p.WeightsSHA256 == "" || p.CorpusDocs == 0 || p.CorpusFiles == "" {
		t.Errorf("provenance %+v", p)
	}

	// Same config, one weight changed.
	other := copyDir(t, a)
	poison(t, other, "model.layers.3.mlp.down_proj.weight", 7, math.Float32bits(0.25))
	s1b := filepath.Join(dir, "s1b.safetensors")
	shard(other, "1/2", s1b)
	code, _, stderr := runCLI(t, "merge", "--out", filepath.Join(dir, "mixed"), s0, s1b)
	if code != 1 || !strings.Contains(stderr, "different weights (sha256 ") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("shards of two checkpoints: exit %d, %q", code, stderr)
	}

	// A resume over weights changed in place is refused. The first run
	// stops at layer 1 (a NaN weight) after checkpointing layer 0.
	broken := copyDir(t, a)
	poison(t, broken, "model.layers.1.self_attn.q_proj.weight", 0, 0x7fc00000)
	out := filepath.Join(dir, "resumed")
	args := append([]string{"calibrate", "--model", broken, "--out", out, "--resume"}, common...)
	if code, _, stderr := runCLI(t, args...); code != 1 || !strings.Contains(stderr, "NaN") {
		t.Fatalf("poisoned run: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out+".resume", "state.safetensors")); err != nil {
		t.Fatalf("no checkpoint after layer 0: %v", err)
	}
	copyFlat(t, other, broken)
	code, _, stderr = runCLI(t, args...)
	if code != 1 || !strings.Contains(stderr, "different weights (sha256 ") {
		t.Errorf("resume over other weights: exit %d, %q", code, stderr)
	}
}

// TestMergeTakesSignFromShards: merge solves with the sign rule the shards
// were run with; --sign only overrides it, and says so on stderr.
func TestMergeTakesSignFromShards(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--quiet", "--num-seqs", "4", "--seq-len", "64", "--sign", "mean"}
	for _, samples := range []string{"150", "all"} {
		t.Run(samples, func(t *testing.T) {
			args := append([]string{"--samples", samples}, common...)
			whole := filepath.Join(dir, "whole-"+samples)
			if code, _, stderr := runCLI(t, append([]string{"calibrate", "--out", whole}, args...)...); code != 0 {
				t.Fatal(stderr)
			}
			var files []string
			for i := range 2 {
				f := filepath.Join(dir, fmt.Sprintf("%s-%d.safetensors", samples, i))
				if code, _, stderr := runCLI(t, append([]string{"calibrate", "--shard", fmt.Sprintf("%d/2", i), "--stats-out", f}, args...)...); code != 0 {
					t.Fatal(stderr)
				}
				files = append(files, f)
			}
			merged := filepath.Join(dir, "merged-"+samples)
			code, _, stderr := runCLI(t, append([]string{"merge", "--out", merged}, files...)...)
			if code != 0 || stderr != "" {
				t.Fatalf("merge without --sign: exit %d, stderr %q", code, stderr)
			}
			a, _ := os.ReadFile(filepath.Join(whole, "model.safetensors"))
			b, _ := os.ReadFile(filepath.Join(merged, "model.safetensors"))
			if len(a) == 0 || !bytes.Equal(a, b) {
				t.Error("merged filters differ from the unsharded --sign mean run")
			}
			if samples != "all" {
				return
			}
			// The vote needs rows that these stats do not keep: overriding
			// to it is announced, then refused with the way out.
			code, _, stderr = runCLI(t, append([]string{"merge", "--sign", "vote", "--out", filepath.Join(dir, "vote")}, files...)...)
			if code != 1 || !strings.Contains(stderr, "--sign vote overrides the sign rule mean") || !strings.Contains(stderr, "use --sign mean") {
				t.Errorf("merge --sign vote: exit %d, stderr %q", code, stderr)
			}
		})
	}
	// An override that works: sampled shards run with mean, merged as vote,
	// give the unsharded vote run's filters.
	vote := filepath.Join(dir, "whole-vote")
	if code, _, stderr := runCLI(t, "calibrate", "--out", vote, "--samples", "150", "--quiet", "--num-seqs", "4", "--seq-len", "64"); code != 0 {
		t.Fatal(stderr)
	}
	over := filepath.Join(dir, "override")
	code, _, stderr := runCLI(t, "merge", "--sign", "vote", "--out", over, filepath.Join(dir, "150-0.safetensors"), filepath.Join(dir, "150-1.safetensors"))
	if code != 0 || !strings.Contains(stderr, "--sign vote overrides the sign rule mean the shards were calibrated with") {
		t.Fatalf("merge --sign vote: exit %d, stderr %q", code, stderr)
	}
	a, _ := os.ReadFile(filepath.Join(vote, "model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(over, "model.safetensors"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("merged --sign vote filters differ from the unsharded vote run")
	}
}
