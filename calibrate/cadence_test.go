package calibrate

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qfilters/qfilters/safetensors"
)

// TestCadence: checkpoints every k layers, every interval, or by default as
// often as keeps their writes under maxCheckpointOverhead of the run.
func TestCadence(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

	auto := newCadence(0, 0, t0)
	if !auto.layerDone(at(1)) {
		t.Fatal("auto: the first layer is not checkpointed (nothing measured yet)")
	}
	auto.written(at(3), 2*time.Second) // a 2 s write: the next one waits for 40 s
	for _, s := range []float64{10, 20, 42.9} {
		if auto.layerDone(at(s)) {
			t.Fatalf("auto: checkpoint %v s after a 2 s one", s-3)
		}
	}
	if !auto.layerDone(at(43)) {
		t.Fatal("auto: no checkpoint 40 s after a 2 s one")
	}

	every := newCadence(3, 0, t0)
	var got []int
	for l := 0; l < 9; l++ {
		if every.layerDone(at(float64(l))) {
			got = append(got, l)
			every.written(at(float64(l)), time.Second)
		}
	}
	if len(got) != 3 || got[0] != 2 || got[1] != 5 || got[2] != 8 {
		t.Errorf("every 3 layers: checkpoints after layers %v", got)
	}

	timed := newCadence(0, time.Minute, t0)
	if timed.layerDone(at(59)) || !timed.layerDone(at(60)) {
		t.Error("every minute: wrong decision at 59 s or 60 s")
	}
}

// TestCheckpointParts: each checkpoint writes the layers gathered since the
// previous one in a part of its own (the hidden states alone are
// rewritten); a resume reads the chain of parts, discards a part a killed
// run wrote after its last state, and gives the uninterrupted result.
func TestCheckpointParts(t *testing.T) {
	m := tinyModel(t)
	seqs := randomSeqs(3, 40, m.Config.Vocab)
	dir := t.TempDir()
	opt := Options{Samples: 50, Seed: 2, Shard: 0, Shards: 1, CheckpointDir: dir, CheckpointLayers: 1}
	whole, err := Collect(m, seqs, Options{Samples: 50, Seed: 2, Shard: 0, Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := opt
	stopped.Context = ctx
	stopped.Progress = func(layer, _ int) {
		if layer == 2 {
			cancel()
		}
	}
	if _, err := Collect(m, seqs, stopped); err == nil {
		t.Fatal("the cancelled run finished")
	}
	parts, _ := filepath.Glob(filepath.Join(dir, "part-*"))
	if len(parts) != 2 || filepath.Base(parts[0]) != "part-00000-00001.safetensors" || filepath.Base(parts[1]) != "part-00001-00002.safetensors" {
		t.Fatalf("parts %v", parts)
	}
	for _, p := range parts {
		ck, err := safetensors.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(ck.Names()); n != 2 { // positions and rows of one layer
			t.Errorf("%s holds %d tensors, want one layer's 2", p, n)
		}
		ck.Close()
	}
	// A part written after the last state (a kill between the two writes).
	b, _ := os.ReadFile(parts[1])
	stale := filepath.Join(dir, "part-00002-00004.safetensors")
	os.WriteFile(stale, b, 0o644)
	resumed := 0
	again := opt
	again.Resumed = func(l int) { resumed = l }
	got, err := Collect(m, seqs, again)
	if err != nil {
		t.Fatal(err)
	}
	if resumed != 2 {
		t.Errorf("resumed from layer %d, want 2", resumed)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale part kept")
	}
	for l := range whole.Layers {
		if !slices.Equal(got.Layers[l].Rows, whole.Layers[l].Rows) || !slices.Equal(got.Layers[l].Positions, whole.Layers[l].Positions) {
			t.Fatalf("layer %d differs after resuming", l)
		}
	}
	// A chain with a hole is refused, not half-restored.
	os.Remove(filepath.Join(dir, "part-00000-00001.safetensors"))
	if _, err := Collect(m, seqs, again); err == nil || !strings.Contains(err.Error(), "no part holds layer 0") {
		t.Errorf("hole in the chain: %v", err)
	}
}
