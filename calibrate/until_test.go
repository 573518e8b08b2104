package calibrate

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func sameResult(t *testing.T, what string, got, want *Result) {
	t.Helper()
	eq := func(name string, a, b []float32) {
		if len(a) != len(b) {
			t.Fatalf("%s: %s has %d values, want %d", what, name, len(a), len(b))
		}
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s: %s[%d] = %v, want %v", what, name, i, a[i], b[i])
			}
		}
	}
	eq("q_filters", got.QFilters, want.QFilters)
	eq("filters_per_qhead", got.PerQueryHead, want.PerQueryHead)
	eq("singular_values", got.SingularValues, want.SingularValues)
	eq("sign_agreement", got.SignAgreement, want.SignAgreement)
	eq("stability", got.Stability, want.Stability)
	eq("stability_kv", got.StabilityKV, want.StabilityKV)
	if got.SamplesUsed != want.SamplesUsed {
		t.Fatalf("%s: samples used %d, want %d", what, got.SamplesUsed, want.SamplesUsed)
	}
}

func TestUntilSchedule(t *testing.T) {
	for max, want := range map[int][]int{1: {1}, 4: {4}, 5: {4, 5}, 20: {4, 8, 16, 20}, 32: {4, 8, 16, 32}} {
		if got := UntilSchedule(max); !slices.Equal(got, want) {
			t.Errorf("UntilSchedule(%d) = %v, want %v", max, got, want)
		}
	}
}

// TestUntilStableEqualsRun: every round's result is bit for bit Run's on the
// same first n sequences (stability included), whether the sample is a
// count below the positions, above them, or every position; and a run
// stops at the first round whose stability reaches the threshold.
func TestUntilStableEqualsRun(t *testing.T) {
	m := tinyModel(t)
	seqs := randomSeqs(11, 24, m.Config.Vocab)
	for _, samples := range []int{100, 0, 400} {
		opt := Options{Samples: samples, Seed: 3}
		var rounds []Round
		// A threshold above 1 is never reached: every round runs.
		last, rep, err := RunUntilStable(m, seqs, opt, 2, func(r Round) { rounds = append(rounds, r) })
		if err != nil {
			t.Fatal(err)
		}
		if len(rounds) != 3 || rep.Sequences != 11 || !rep.Last || rep.Stable {
			t.Fatalf("samples %d: rounds %+v, last %+v", samples, rounds, rep)
		}
		whole, err := Run(m, seqs, opt)
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, "last round", last, whole)
		// Stop at each round in turn: the threshold just reached there.
		for i, r := range rounds[:2] {
			got, rep, err := RunUntilStable(m, seqs, opt, r.MinStability, nil)
			if err != nil {
				t.Fatal(err)
			}
			// An earlier round may already reach it: then it stops there.
			if rep.Sequences > r.Sequences || !rep.Stable {
				t.Fatalf("samples %d, threshold of round %d (%v): stopped at %+v", samples, i, r.MinStability, rep)
			}
			want, err := Run(m, seqs[:rep.Sequences], opt)
			if err != nil {
				t.Fatal(err)
			}
			sameResult(t, "round", got, want)
		}
	}
}

// TestUntilStableResume: a run killed between rounds or inside one resumes
// from its checkpoint with the uninterrupted run's result.
func TestUntilStableResume(t *testing.T) {
	m := tinyModel(t)
	seqs := randomSeqs(9, 24, m.Config.Vocab)
	base := Options{Samples: 120, Seed: 1}
	want, _, err := RunUntilStable(m, seqs, base, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, stopAt := range []int{7, 25} { // progress calls before the stop: inside round 1, inside round 2
		dir := t.TempDir()
		opt := base
		opt.CheckpointDir, opt.CheckpointLayers = dir, 1
		calls := 0
		opt.Progress = func(int, int) {
			calls++
			if calls == stopAt {
				panic("stop")
			}
		}
		func() {
			defer func() { recover() }()
			RunUntilStable(m, seqs, opt, 2, nil)
			t.Fatal("not stopped")
		}()
		opt.Progress = nil
		_, statErr := os.Stat(filepath.Join(dir, untilStateFile))
		if (statErr == nil) != (stopAt > 20) { // round 1 is 4 sequences x 5 layers = 20 calls
			t.Fatalf("stop at call %d: state after round 1: %v", stopAt, statErr)
		}
		resumed := -1
		opt.Resumed = func(l int) { resumed = l }
		got, rep, err := RunUntilStable(m, seqs, opt, 2, nil)
		if resumed < 1 {
			t.Errorf("stop at call %d: the round did not resume from its layer checkpoint", stopAt)
		}
		if err != nil {
			t.Fatal(err)
		}
		if rep.Sequences != 9 {
			t.Fatalf("resumed run stopped at %+v", rep)
		}
		sameResult(t, "resumed", got, want)
	}
}

// TestShardsMergeStability: merged shards give the whole run's stability
// bit for bit (the merged rows are the same rows, and the stats carry the
// sequence length that splits them).
func TestShardsMergeStability(t *testing.T) {
	m := tinyModel(t)
	seqs := randomSeqs(7, 48, m.Config.Vocab)
	opt := Options{Samples: 150, Seed: 5, Sign: SignVote}
	whole, err := Run(m, seqs, opt)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Stability == nil {
		t.Fatal("no stability from 7 sequences")
	}
	for _, n := range []int{1, 3} {
		sameResult(t, "merged", shardedRun(t, m, seqs, opt, n, SignVote), whole)
	}
	one, err := Run(m, seqs[:1], opt)
	if err != nil {
		t.Fatal(err)
	}
	if one.Stability != nil || one.StabilityKV != nil {
		t.Error("stability from a single sequence")
	}
}

// TestShardsMergeStabilityGram: every position with the mean rule ships Gram
// matrices; the shards also keep them per half (even and odd sequences), so
// the merged stability agrees with the whole run's to rounding.
func TestShardsMergeStabilityGram(t *testing.T) {
	m := tinyModel(t)
	seqs := randomSeqs(7, 40, m.Config.Vocab)
	opt := Options{Samples: 0, Sign: SignMean}
	whole, err := Run(m, seqs, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 3} {
		got := shardedRun(t, m, seqs, opt, n, SignMean)
		if got.Stability == nil {
			t.Fatalf("%d shards: no stability from Gram statistics", n)
		}
		for i, s := range whole.Stability {
			if math.Abs(float64(got.Stability[i]-s)) > 1e-5 {
				t.Fatalf("%d shards: stability[%d] = %v, whole run %v", n, i, got.Stability[i], s)
			}
		}
		for i, s := range whole.StabilityKV {
			if math.Abs(float64(got.StabilityKV[i]-s)) > 1e-5 {
				t.Fatalf("%d shards: stability_kv[%d] = %v, whole run %v", n, i, got.StabilityKV[i], s)
			}
		}
	}
}

// TestStatsFoldsValidated: Gram stats with a sequence length carry fold
// sums that survive a round trip; a file whose fold counts or values are
// not the shard's, or that claims a sequence length the positions do not
// tile, is refused.
func TestStatsFoldsValidated(t *testing.T) {
	mk := func() *Stats {
		st := synthStats(0, 2, 0, false)
		st.Meta.Gram, st.Meta.SeqLen = true, 10
		st = synthStatsWithSeqLen(st)
		return st
	}
	st := mk()
	if st.Layers[0].FoldGram[0] == nil || st.Layers[0].FoldCount[0] != 10 || st.Layers[0].FoldCount[2] != 0 {
		t.Fatalf("folds of shard 0/2 (sequences 0, 1): counts %v", st.Layers[0].FoldCount)
	}
	back, err := roundTrip(t, st)
	if err != nil {
		t.Fatal(err)
	}
	if back.Layers[1].FoldCount != st.Layers[1].FoldCount || back.Layers[1].FoldGram[1][3] != st.Layers[1].FoldGram[1][3] {
		t.Error("fold statistics changed in a round trip")
	}
	for name, spoil := range map[string]func(*Stats){
		"fold count":       func(s *Stats) { s.Layers[0].FoldCount[0]--; s.Layers[0].FoldCount[1]++ },
		"fold value":       func(s *Stats) { s.Layers[1].FoldSum[1][0] = math.Inf(1) },
		"sequence length":  func(s *Stats) { s.Meta.SeqLen = 7 },
		"folds, no seqlen": func(s *Stats) { s.Meta.SeqLen = 0 },
	} {
		s := mk()
		spoil(s)
		if _, err := roundTrip(t, s); err == nil {
			t.Errorf("%s: spoiled stats accepted", name)
		}
	}
}

// synthStatsWithSeqLen recomputes st's Gram layers (with its SeqLen) from
// fresh rows of its positions.
func synthStatsWithSeqLen(st *Stats) *Stats {
	r := rand.New(rand.NewPCG(9, 9))
	w := st.Meta.Heads * st.Meta.HeadDim
	for l := range st.Layers {
		st.Layers[l] = LayerStats{}
		var pos []int
		for p := st.Meta.First; p < st.Meta.End; p++ {
			pos = append(pos, p)
		}
		rows := make([]float32, len(pos)*w)
		for j := range rows {
			rows[j] = float32(r.NormFloat64())
		}
		(*statsSink)(st).layer(l, pos, rows)
	}
	return st
}
