package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/kernels"
)

// TestShardsOnDifferentKernels: shards computed on different kernel paths
// (an AVX2 node and an AVX-512 one, say) merge, the merge says on stderr
// that the result is then not bit for bit a single run's, and the
// provenance names both paths; shards of one path merge silently and name it.
func TestShardsOnDifferentKernels(t *testing.T) {
	paths := kernels.Paths()
	if len(paths) < 2 {
		t.Skip("this CPU has one kernel path only")
	}
	fast := paths[len(paths)-1]
	dir := t.TempDir()
	common := []string{"--quiet", "--num-seqs", "4", "--seq-len", "32", "--samples", "50"}
	shard := func(i int, p kernels.Path) (file, path string) {
		defer kernels.SetPath(p)()
		file = filepath.Join(dir, fmt.Sprintf("s%d-%s.safetensors", i, p))
		if code, _, stderr := runCLI(t, append([]string{"calibrate", "--shard", fmt.Sprintf("%d/2", i), "--stats-out", file}, common...)...); code != 0 {
			t.Fatal(stderr)
		}
		return file, kernels.CurrentPath()
	}
	s0, genericPath := shard(0, kernels.Generic)
	s1, fastPath := shard(1, fast)
	s1g, _ := shard(1, kernels.Generic)
	merge := func(out string, files ...string) (stderr, kernelsRecorded string) {
		code, _, stderr := runCLI(t, append([]string{"merge", "--out", filepath.Join(dir, out)}, files...)...)
		if code != 0 {
			t.Fatalf("merge: exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(dir, out, "qfilters.json"))
		if err != nil {
			t.Fatal(err)
		}
		var p struct{ Kernels string }
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		return stderr, p.Kernels
	}
	stderr, recorded := merge("mixed", s0, s1)
	if !strings.Contains(stderr, "not bit for bit") || strings.Count(stderr, "\n") != 1 || recorded != genericPath+"; "+fastPath {
		t.Errorf("mixed shards: stderr %q, kernels %q; want one note and %q", stderr, recorded, genericPath+"; "+fastPath)
	}
	stderr, recorded = merge("same", s0, s1g)
	if stderr != "" || recorded != genericPath {
		t.Errorf("shards of one path: stderr %q, kernels %q; want none and %q", stderr, recorded, genericPath)
	}
}
