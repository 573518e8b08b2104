package calibrate

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/qfilters/qfilters/model"
)

// hybridModel opens the tiny Qwen 3.5 fixture: layers 0 and 2 are linear
// attention (no cache), 1 and 3 full attention.
func hybridModel(t testing.TB) *model.Model {
	t.Helper()
	m, err := model.Open(archDir(t, "qwen3_5"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func allZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// TestHybridShardsMerge: a hybrid's sharded runs (sampled rows, vote; every
// position, Gram, mean) merge into the whole run's filters, zeros on the
// layers without a cache.
func TestHybridShardsMerge(t *testing.T) {
	m := hybridModel(t)
	seqs := randomSeqs(5, 30, m.Config.Vocab)
	for _, c := range []struct {
		opt  Options
		rule SignRule
	}{{Options{Samples: 60, Seed: 3, Sign: SignVote}, SignVote}, {Options{Sign: SignMean}, SignMean}} {
		whole, err := Run(m, seqs, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(whole.NoCache, []int{0, 2}) {
			t.Fatalf("NoCache %v, want [0 2]", whole.NoCache)
		}
		for _, n := range []int{1, 2, 3} {
			got := shardedRun(t, m, seqs, c.opt, n, c.rule)
			if !slices.Equal(got.NoCache, whole.NoCache) {
				t.Fatalf("%d shards: NoCache %v", n, got.NoCache)
			}
			for l := 0; l < whole.Layers; l++ {
				w := whole.KVHeads * whole.HeadDim
				kv, wkv := got.QFilters[l*w:(l+1)*w], whole.QFilters[l*w:(l+1)*w]
				if !m.Config.HasCache(l) {
					if !allZero(kv) {
						t.Fatalf("%d shards: layer %d has no cache but nonzero filters", n, l)
					}
					continue
				}
				if allZero(wkv) {
					t.Fatalf("layer %d: zero filters on a full-attention layer", l)
				}
				if c.rule == SignVote && !slices.Equal(kv, wkv) {
					t.Fatalf("%s, %d shards: layer %d filters differ", c.rule, n, l)
				}
				if c.rule == SignMean && cosine(kv, wkv) < 0.999999 {
					t.Fatalf("%s, %d shards: layer %d cosine %v", c.rule, n, l, cosine(kv, wkv))
				}
			}
		}
	}
}

// TestHybridResume: runs interrupted on a linear-attention layer and on a
// full-attention one resume to the uninterrupted filters and query
// statistics; Expected Attention's statistics are zero on the layers
// without a cache.
func TestHybridResume(t *testing.T) {
	m := hybridModel(t)
	seqs := randomSeqs(4, 24, m.Config.Vocab)
	opt := Options{Samples: 40, Seed: 5}
	wantRes, wantQS, err := RunWithQueryStats(m, seqs, 2, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, stopAt := range []int{1, 2, 3} {
		ckOpt := opt
		ckOpt.CheckpointDir = filepath.Join(t.TempDir(), "ck")
		ckOpt.CheckpointLayers = 1
		ctx, cancel := context.WithCancel(context.Background())
		ckOpt.Context = ctx
		ckOpt.Progress = func(layer, _ int) {
			if layer == stopAt {
				cancel()
			}
		}
		if _, _, err := RunWithQueryStats(m, seqs, 2, ckOpt); err == nil {
			t.Fatal("cancelled run succeeded")
		}
		ckOpt.Context, ckOpt.Progress = nil, nil
		resumed := -1
		ckOpt.Resumed = func(layer int) { resumed = layer }
		res, qs, err := RunWithQueryStats(m, seqs, 2, ckOpt)
		if err != nil {
			t.Fatalf("stopped at layer %d: %v", stopAt, err)
		}
		if resumed != stopAt {
			t.Errorf("resumed at layer %d, want %d", resumed, stopAt)
		}
		if !slices.Equal(res.QFilters, wantRes.QFilters) || res.SamplesUsed != wantRes.SamplesUsed {
			t.Errorf("stopped at layer %d: filters differ after resuming", stopAt)
		}
		for l := range qs.Gram {
			if qs.Count[l] != wantQS.Count[l] || !slices.Equal(qs.Gram[l], wantQS.Gram[l]) {
				t.Fatalf("stopped at layer %d: layer %d statistics differ after resuming", stopAt, l)
			}
		}
	}
	es, err := wantQS.ExpStats()
	if err != nil {
		t.Fatal(err)
	}
	per := es.Heads * es.HeadDim
	for l := 0; l < es.Layers; l++ {
		if zero := allZero(es.Mean[l*per : (l+1)*per]); zero != !m.Config.HasCache(l) {
			t.Errorf("layer %d: mean all zero %v, has cache %v", l, zero, m.Config.HasCache(l))
		}
	}
}
