package calibrate

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/qfilters/qfilters/model"
	"github.com/qfilters/qfilters/safetensors"
)

var gemma4Archs = []string{"gemma4_text", "gemma4_ple", "gemma4_moe", "gemma4"}

// TestGoldenFiltersGemma4: filters of models whose layers differ in shape
// and share caches, against the reference rule in float64 over transformers'
// queries (python/goldens/gemma4.py): each layer's rows fill its own kv heads
// and head dim, zeros beyond; a shared cache's filter comes from the queries
// of its owner and every reader together, and the readers' rows are the
// owner's.
func TestGoldenFiltersGemma4(t *testing.T) {
	for _, arch := range gemma4Archs {
		t.Run(arch, func(t *testing.T) {
			dir := archDir(t, arch)
			m, err := model.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			c := m.Config
			g, err := safetensors.Open(filepath.Join(dir, "golden.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			idsT, _ := g.Tensor("input_ids")
			raw, _ := idsT.Int64()
			n, seq := idsT.Shape[0], idsT.Shape[1]
			seqs := make([][]int, n)
			for s := range seqs {
				for _, v := range raw[s*seq : (s+1)*seq] {
					seqs[s] = append(seqs[s], int(v))
				}
			}
			res, err := Run(m, seqs, Options{Samples: 0, Sign: SignVote})
			if err != nil {
				t.Fatal(err)
			}
			if res.HeadDim != c.MaxHeadDim() || res.KVHeads != c.MaxKVHeads() {
				t.Fatalf("result shape %d kv heads x %d, want the largest %d x %d", res.KVHeads, res.HeadDim, c.MaxKVHeads(), c.MaxHeadDim())
			}
			wantKV := goldenTensor(t, g, "filters")
			wantQ := goldenTensor(t, g, "filters_per_qhead")
			D, G, H := res.HeadDim, res.KVHeads, res.Heads
			worst := 1.0
			for l := 0; l < res.Layers; l++ {
				o := c.CacheOwner(l)
				d, kv := c.HeadDimOf(l), c.KVHeadsOf(l)
				for h := 0; h < H; h++ {
					got := res.PerQueryHead[(l*H+h)*D : (l*H+h+1)*D]
					want := wantQ[(o*H+h)*D : (o*H+h+1)*D]
					if cs := cosine(got, want); cs < 0.9999 {
						t.Errorf("layer %d query head %d: cosine %.6f", l, h, cs)
					}
				}
				for k := 0; k < G; k++ {
					got := res.QFilters[(l*G+k)*D : (l*G+k+1)*D]
					if k >= kv {
						if norm(got) != 0 {
							t.Errorf("layer %d has %d kv heads, but kv head %d is nonzero", l, kv, k)
						}
						continue
					}
					if norm(got[d:]) != 0 {
						t.Errorf("layer %d kv head %d: nonzero beyond its head dim %d", l, k, d)
					}
					cs := cosine(got, wantKV[(o*G+k)*D:(o*G+k+1)*D])
					worst = math.Min(worst, cs)
					if cs < 0.9999 {
						t.Errorf("layer %d kv head %d (cache of layer %d): cosine %.6f", l, k, o, cs)
					}
				}
			}
			t.Logf("worst kv-filter cosine %.8f", worst)
		})
	}
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// TestGemma4ShardsAndResume: sharded runs of a model with per-layer shapes
// and shared caches merge into the whole run's filters; a run stopped inside
// the shared span resumes from the checkpoint before it, with the same
// filters and query statistics.
func TestGemma4ShardsAndResume(t *testing.T) {
	m, err := model.Open(archDir(t, "gemma4_text"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	seqs := randomSeqs(5, 30, m.Config.Vocab)
	for _, c := range []struct {
		opt  Options
		rule SignRule
	}{{Options{Samples: 60, Seed: 3, Sign: SignVote}, SignVote}, {Options{Sign: SignMean}, SignMean}} {
		whole, err := Run(m, seqs, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{2, 3} {
			got := shardedRun(t, m, seqs, c.opt, n, c.rule)
			for i := range whole.QFilters {
				if d := math.Abs(float64(got.QFilters[i] - whole.QFilters[i])); c.rule == SignVote && d != 0 || d > 1e-6 {
					t.Fatalf("%s, %d shards: q_filters[%d] = %v, whole %v", c.rule, n, i, got.QFilters[i], whole.QFilters[i])
				}
			}
		}
	}
	opt := Options{Samples: 40, Seed: 5}
	wantRes, wantQS, err := RunWithQueryStats(m, seqs, 2, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ stopAt, resumeAt int }{{1, 1}, {4, 2}} {
		ckOpt := opt
		ckOpt.CheckpointDir = filepath.Join(t.TempDir(), "ck")
		ckOpt.CheckpointLayers = 1
		ctx, cancel := context.WithCancel(context.Background())
		ckOpt.Context = ctx
		ckOpt.Progress = func(layer, _ int) {
			if layer == c.stopAt {
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
			t.Fatal(err)
		}
		if resumed != c.resumeAt {
			t.Errorf("stopped at layer %d: resumed at %d, want %d", c.stopAt, resumed, c.resumeAt)
		}
		if !slices.Equal(res.QFilters, wantRes.QFilters) {
			t.Errorf("stopped at layer %d: filters differ after resuming", c.stopAt)
		}
		for l := range qs.Gram {
			if !slices.Equal(qs.Gram[l], wantQS.Gram[l]) {
				t.Fatalf("stopped at layer %d: layer %d query statistics differ", c.stopAt, l)
			}
		}
	}
}
