package calibrate

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/qfilters/qfilters/model"
)

// TestUntilStableLayerShapes: on a hybrid model (layers without a cache) and
// on Gemma 4 (per-layer head dims, shared caches), every round is Run's
// result on the same sequences, the per-layer layout included.
func TestUntilStableLayerShapes(t *testing.T) {
	for _, arch := range []string{"qwen3_5", "gemma4_text"} {
		m, err := model.Open(archDir(t, arch))
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		seqs := randomSeqs(6, 20, m.Config.Vocab)
		opt := Options{Samples: 50, Seed: 2}
		got, rep, err := RunUntilStable(m, seqs, opt, 2, nil)
		if err != nil {
			t.Fatalf("%s: %v", arch, err)
		}
		if rep.Sequences != 6 {
			t.Fatalf("%s: stopped at %+v", arch, rep)
		}
		want, err := Run(m, seqs, opt)
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, arch, got, want)
		// Killed inside the second round, it resumes to the same result.
		ck := opt
		ck.CheckpointDir, ck.CheckpointLayers = t.TempDir(), 1
		calls := 0
		ck.Progress = func(int, int) {
			if calls++; calls == 4*m.Config.Layers+3 {
				panic("stop")
			}
		}
		func() {
			defer func() { recover() }()
			RunUntilStable(m, seqs, ck, 2, nil)
			t.Fatalf("%s: not stopped", arch)
		}()
		ck.Progress = nil
		resumed, _, err := RunUntilStable(m, seqs, ck, 2, nil)
		if err != nil {
			t.Fatalf("%s: resuming: %v", arch, err)
		}
		sameResult(t, arch+" resumed", resumed, want)
		if !slices.Equal(got.NoCache, want.NoCache) || !slices.Equal(got.LayerHeadDim, want.LayerHeadDim) ||
			!slices.Equal(got.LayerKVHeads, want.LayerKVHeads) || !slices.Equal(got.KVOwner, want.KVOwner) ||
			got.KVHeads != want.KVHeads || got.HeadDim != want.HeadDim {
			t.Fatalf("%s: layout %v %v %v %v %d %d, want %v %v %v %v %d %d", arch,
				got.NoCache, got.LayerHeadDim, got.LayerKVHeads, got.KVOwner, got.KVHeads, got.HeadDim,
				want.NoCache, want.LayerHeadDim, want.LayerKVHeads, want.KVOwner, want.KVHeads, want.HeadDim)
		}
		// The lowest stability is that of a real head: not a layer without
		// a cache, nor a narrower layer's padding kv head (zeros).
		low := math.Inf(1)
		for l := range want.Layers {
			if !m.Config.HasCache(l) {
				continue
			}
			for _, v := range want.Stability[l*want.Heads : (l+1)*want.Heads] {
				low = math.Min(low, float64(v))
			}
			for _, v := range want.StabilityKV[l*want.KVHeads : l*want.KVHeads+want.kvOf(l)] {
				low = math.Min(low, float64(v))
			}
		}
		if rep.MinStability != low {
			t.Fatalf("%s: lowest stability %v (layer %d head %d), want %v", arch, rep.MinStability, rep.Layer, rep.Head, low)
		}
	}
}

// TestUntilStableScansRealHeads: a round's lowest stability skips the zeros
// of a layer without a cache and of a narrower layer's padding kv heads
// (otherwise no run on such a model could ever be stable).
func TestUntilStableScansRealHeads(t *testing.T) {
	const seqs, seqLen, heads, d = 8, 10, 2, 4
	offsets := make([]int, seqs+1)
	for i := range offsets {
		offsets[i] = i * seqLen
	}
	for name, c := range map[string]*model.Config{
		"no cache":  {Layers: 2, Heads: heads, KVHeads: 1, HeadDim: d, Linear: []bool{true, false}},
		"per layer": {Layers: 2, Heads: heads, KVHeads: 2, HeadDim: d, LayerHeadDim: []int{d, d}, LayerKVHeads: []int{2, 1}},
	} {
		r := rand.New(rand.NewPCG(1, 2))
		st := &untilState{kept: make([]keptRows, c.Layers), width: heads * d}
		for l := range c.Layers {
			if !c.HasCache(l) {
				continue
			}
			k := &st.kept[l]
			for p := range offsets[seqs] {
				k.pos = append(k.pos, p)
				for range heads {
					// A strong mean along the first axis: stable heads.
					k.rows = append(k.rows, 5+float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64()))
				}
			}
		}
		_, rep, err := st.solve(c, offsets, seqs, Options{Sign: SignVote})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !(rep.MinStability > 0.9) {
			t.Errorf("%s: lowest stability %v (%s layer %d head %d), want that of the real heads (> 0.9)", name, rep.MinStability, rep.Level, rep.Layer, rep.Head)
		}
	}
}

// TestUntilStableResumeReplaysRounds: a run resumed after some rounds
// reports those rounds again and stops where a fresh run with the same
// threshold stops, even when the killed run had another threshold.
func TestUntilStableResumeReplaysRounds(t *testing.T) {
	m := tinyModel(t)
	seqs := randomSeqs(18, 24, m.Config.Vocab) // rounds of 4, 8, 16, 18
	opt := Options{Samples: 120, Seed: 4}
	var fresh []Round
	if _, _, err := RunUntilStable(m, seqs, opt, 2, func(r Round) { fresh = append(fresh, r) }); err != nil {
		t.Fatal(err)
	}
	threshold := fresh[1].MinStability // reached at round 2 (8 sequences) or before
	want, wantRep, err := RunUntilStable(m, seqs, opt, threshold, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Killed inside round 3 by a run that would never stop early.
	ck := opt
	ck.CheckpointDir, ck.CheckpointLayers = t.TempDir(), 1
	calls := 0
	ck.Progress = func(int, int) {
		if calls++; calls == 8*m.Config.Layers+3 {
			panic("stop")
		}
	}
	func() {
		defer func() { recover() }()
		RunUntilStable(m, seqs, ck, 2, nil)
		t.Fatal("not stopped")
	}()
	ck.Progress = nil
	var rounds []Round
	got, rep, err := RunUntilStable(m, seqs, ck, threshold, func(r Round) { rounds = append(rounds, r) })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sequences != wantRep.Sequences || !rep.Stable {
		t.Fatalf("resumed with threshold %v: stopped at %+v, a fresh run at %+v", threshold, rep, wantRep)
	}
	sameResult(t, "resumed", got, want)
	if len(rounds) == 0 || rounds[0].Sequences != 4 || rounds[len(rounds)-1] != rep {
		t.Fatalf("resumed run reported rounds %+v", rounds)
	}
	for i, r := range rounds {
		if r.MinStability != fresh[i].MinStability {
			t.Fatalf("round %d: min stability %v, fresh run %v", i, r.MinStability, fresh[i].MinStability)
		}
	}
}
