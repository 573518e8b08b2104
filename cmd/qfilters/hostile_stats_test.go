package main

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/safetensors"
)

// shardStats writes the statistics of shard spec ("i/N") of the hostile
// case's model to a file below its root and returns the path.
func shardStats(t *testing.T, e *hostileEnv, model, spec, name string) string {
	t.Helper()
	out := filepath.Join(e.root, name)
	code, _, stderr := runCLI(t, "calibrate", "--model", model, "--corpus", e.corpus, "--quiet", "--seq-len", "32", "--num-seqs", "2",
		"--samples", "20", "--shard", spec, "--stats-out", out)
	if code != 0 {
		t.Fatal(stderr)
	}
	return out
}

// editStats rewrites a stats file: its metadata (as JSON) and tensors.
func editStats(t *testing.T, path string, edit func(meta map[string]any, ts []safetensors.Tensor)) {
	t.Helper()
	c, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	json.Unmarshal([]byte(c.Metadata()["qfilters.stats"]), &meta)
	c.Close()
	ts := readTensors(t, path)
	edit(meta, ts)
	b, _ := json.Marshal(meta)
	if err := safetensors.Write(path, ts, map[string]string{"qfilters.stats": string(b)}); err != nil {
		t.Fatal(err)
	}
}

func tensorNamed(ts []safetensors.Tensor, name string) *safetensors.Tensor {
	for i := range ts {
		if ts[i].Name == name {
			return &ts[i]
		}
	}
	panic("no tensor " + name)
}

// mergeCase sets up two shards of the case's model, lets edit damage the
// second, and merges them.
func mergeCase(edit func(t *testing.T, e *hostileEnv, s1 string)) func(t *testing.T, e *hostileEnv) {
	return func(t *testing.T, e *hostileEnv) {
		s0 := shardStats(t, e, e.model, "0/2", "stats-0.safetensors")
		s1 := shardStats(t, e, e.model, "1/2", "stats-1.safetensors")
		edit(t, e, s1)
		e.command = []string{"merge", "--out", filepath.Join(e.root, "out", "out"), s0, s1}
	}
}

// hostileStatsCases: stats files (which come from other machines) and
// checkpoints that do not hold what they claim.
func hostileStatsCases() []hostileCase {
	return []hostileCase{
		{"merge: stats file whose positions are out of order", mergeCase(func(t *testing.T, e *hostileEnv, s1 string) {
			editStats(t, s1, func(_ map[string]any, ts []safetensors.Tensor) {
				p := tensorNamed(ts, "positions.1").Data
				a, b := append([]byte(nil), p[:8]...), append([]byte(nil), p[8:16]...)
				copy(p, b)
				copy(p[8:], a)
			})
		}), 1, "positions must be increasing"},
		{"merge: stats file with a position outside the calibration", mergeCase(func(t *testing.T, e *hostileEnv, s1 string) {
			editStats(t, s1, func(_ map[string]any, ts []safetensors.Tensor) {
				binary.LittleEndian.PutUint64(tensorNamed(ts, "positions.0").Data, 1<<40)
			})
		}), 1, "the shard's sample has"},
		{"merge: stats file claiming another shard's range", mergeCase(func(t *testing.T, e *hostileEnv, s1 string) {
			editStats(t, s1, func(meta map[string]any, _ []safetensors.Tensor) { meta["first_position"] = 0.0 })
		}), 1, "positions"},
		{"merge: stats file whose query rows hold NaN", mergeCase(func(t *testing.T, e *hostileEnv, s1 string) {
			editStats(t, s1, func(_ map[string]any, ts []safetensors.Tensor) {
				binary.LittleEndian.PutUint32(tensorNamed(ts, "rows.2").Data[4*9:], math.Float32bits(float32(math.NaN())))
			})
		}), 1, "is NaN"},
		{"merge: stats file of shard 3 of 2", mergeCase(func(t *testing.T, e *hostileEnv, s1 string) {
			editStats(t, s1, func(meta map[string]any, _ []safetensors.Tensor) { meta["shard"] = 3.0 })
		}), 1, "shard 3/2"},
		{"merge: shards of two checkpoints with the same config", func(t *testing.T, e *hostileEnv) {
			s0 := shardStats(t, e, e.model, "0/2", "stats-0.safetensors")
			other := copyFlat(t, e.model, filepath.Join(e.root, "other"))
			poison(t, other, q0, 5, math.Float32bits(0.5))
			s1 := shardStats(t, e, other, "1/2", "stats-1.safetensors")
			e.command = []string{"merge", "--out", filepath.Join(e.root, "out", "out"), s0, s1}
		}, 1, "different weights"},
		{"shard voting over every position of a corpus too large to ship its rows", func(t *testing.T, e *hostileEnv) {
			// 2 x 840000 positions x 5 layers x 64 query values x 4 bytes > 2 GiB.
			e.corpus = filepath.Join(e.root, "long.jsonl")
			f, err := os.Create(e.corpus)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				f.WriteString(`{"input_ids": [1`)
				f.WriteString(strings.Repeat(", 5", 840000-1))
				f.WriteString("]}\n")
			}
			f.Close()
			e.command = []string{"calibrate", "--model", e.model, "--corpus", e.corpus, "--quiet", "--seq-len", "840000", "--num-seqs", "2",
				"--samples", "all", "--shard", "0/2", "--stats-out", filepath.Join(e.root, "out", "out")}
		}, 1, "use --sign mean"},
		{"--checkpoint-every that is neither a count nor a duration", func(t *testing.T, e *hostileEnv) {
			e.extra = []string{"--resume", "--checkpoint-every", "often"}
		}, 2, "--checkpoint-every must be"},
		{"--checkpoint-every without --resume", func(t *testing.T, e *hostileEnv) {
			e.extra = []string{"--checkpoint-every", "2"}
		}, 2, "--checkpoint-every needs --resume"},
		{"--resume over a checkpoint of other weights", func(t *testing.T, e *hostileEnv) {
			// A run that stops at layer 1 (a NaN weight) leaves layer 0's
			// checkpoint; the weights are then replaced.
			good := copyFlat(t, e.model, filepath.Join(e.root, "good"))
			poison(t, e.model, k1, 70, 0x7fc00000)
			args := []string{"calibrate", "--model", e.model, "--corpus", e.corpus, "--out", filepath.Join(e.root, "out", "out"),
				"--quiet", "--seq-len", "32", "--num-seqs", "2", "--resume"}
			if code, _, _ := runCLI(t, args...); code != 1 {
				t.Fatal("the poisoned run did not fail")
			}
			b, _ := os.ReadFile(filepath.Join(good, "model.safetensors"))
			writeFile(t, filepath.Join(e.model, "model.safetensors"), b)
			e.command = args
		}, 1, "written for other inputs: different weights"},
		{"--until-stable with --shard", func(t *testing.T, e *hostileEnv) {
			e.extra = []string{"--until-stable", "0.999", "--shard", "0/2", "--stats-out", filepath.Join(e.root, "out", "stats")}
		}, 2, "--until-stable cannot run sharded"},
		{"--until-stable with --also-stats", func(t *testing.T, e *hostileEnv) {
			e.extra = []string{"--until-stable", "0.999", "--also-stats", filepath.Join(e.root, "out", "stats")}
		}, 2, "--until-stable and --also-stats exclude each other"},
		{"--until-stable outside (0, 1]", func(t *testing.T, e *hostileEnv) {
			e.extra = []string{"--until-stable", "1.5"}
		}, 2, "--until-stable must be a cosine in (0, 1]"},
	}
}
