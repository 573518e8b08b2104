package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	ok := []struct {
		spec string
		env  func(string) string
		want shardSpec
	}{
		{"", env(), shardSpec{0, 1, ""}},
		{"2/3", env("SLURM_ARRAY_TASK_ID", "0"), shardSpec{2, 3, ""}}, // explicit wins over the environment
		{"auto/3", env("SLURM_ARRAY_TASK_ID", "1"), shardSpec{1, 3, "SLURM_ARRAY_TASK_ID=1"}},
		{"auto/3", env("SLURM_ARRAY_TASK_ID", "5", "SLURM_ARRAY_TASK_MIN", "4"), shardSpec{1, 3, "SLURM_ARRAY_TASK_ID=5 - SLURM_ARRAY_TASK_MIN=4"}},
		{"auto", env("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_COUNT", "3"), shardSpec{2, 3, "SLURM_ARRAY_TASK_ID=2 - SLURM_ARRAY_TASK_MIN=0"}},
		{"auto/4", env("JOB_COMPLETION_INDEX", "3"), shardSpec{3, 4, "JOB_COMPLETION_INDEX=3"}},
		{"auto", env("QFILTERS_SHARD", "0", "QFILTERS_SHARDS", "2", "SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_COUNT", "9"), shardSpec{0, 2, "QFILTERS_SHARD=0"}},
	}
	for _, c := range ok {
		got, err := parseShard(c.spec, c.env)
		if err != nil || got != c.want {
			t.Errorf("parseShard(%q) = %+v, %v; want %+v", c.spec, got, err, c.want)
		}
	}
	bad := []struct {
		spec string
		env  func(string) string
		msg  string
	}{
		{"3/3", env(), "0 <= i < N"},
		{"1/3x", env(), "0 <= i < N"},
		{"01/3", env(), "0 <= i < N"},
		{"auto/0", env("QFILTERS_SHARD", "0"), "positive N"},
		{"auto/3", env(), "no shard index in the environment"},
		{"auto", env("SLURM_ARRAY_TASK_ID", "1"), "give --shard auto/N"},
		{"auto/3", env("SLURM_ARRAY_TASK_ID", "3"), "outside 0..2"},
		{"auto/3", env("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_MIN", "2"), "outside 0..2"},
		{"auto/3", env("JOB_COMPLETION_INDEX", "x"), "not a shard index"},
		{"auto", env("QFILTERS_SHARD", "0", "QFILTERS_SHARDS", "-1"), "not a positive number"},
	}
	for _, c := range bad {
		if _, err := parseShard(c.spec, c.env); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("parseShard(%q): error %v, want one containing %q", c.spec, err, c.msg)
		}
	}
}

// TestShardAutoFromEnvironment runs shards with the index taken from a
// Slurm job array's environment (an array starting at 4) and checks the
// merge is byte-identical to an unsharded run.
func TestShardAutoFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--num-seqs", "6", "--seq-len", "64", "--samples", "200"}
	var files []string
	for i := 0; i < 3; i++ {
		f := filepath.Join(dir, fmt.Sprintf("stats-%d.safetensors", i))
		files = append(files, f)
		t.Setenv("SLURM_ARRAY_TASK_ID", strconv.Itoa(4+i))
		t.Setenv("SLURM_ARRAY_TASK_MIN", "4")
		t.Setenv("SLURM_ARRAY_TASK_COUNT", "3")
		code, _, stderr := runCLI(t, append([]string{"calibrate", "--shard", "auto", "--stats-out", f}, common...)...)
		if code != 0 {
			t.Fatal(stderr)
		}
		if want := fmt.Sprintf("shard %d/3 (index from SLURM_ARRAY_TASK_ID=%d - SLURM_ARRAY_TASK_MIN=4)", i, 4+i); !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not say %q", stderr, want)
		}
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "9")
	if code, _, stderr := runCLI(t, append([]string{"calibrate", "--shard", "auto", "--stats-out", filepath.Join(dir, "x")}, common...)...); code != 2 || !strings.Contains(stderr, "outside 0..2") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("out-of-range index: exit %d, stderr %q", code, stderr)
	}
	merged, whole := filepath.Join(dir, "merged"), filepath.Join(dir, "whole")
	if code, _, stderr := runCLI(t, append([]string{"merge", "--out", merged}, files...)...); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := runCLI(t, append([]string{"calibrate", "--quiet", "--out", whole}, common...)...); code != 0 {
		t.Fatal(stderr)
	}
	for _, name := range []string{"model.safetensors", "qfilters.safetensors"} {
		a, _ := os.ReadFile(filepath.Join(whole, name))
		b, _ := os.ReadFile(filepath.Join(merged, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the whole and the merged run", name)
		}
	}
}
