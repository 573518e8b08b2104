package calibrate

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/model"
	"github.com/qfilters/qfilters/safetensors"
)

// unrope undoes RoPE on one head vector at one position: the rotation of
// each pair (i, i+rotary/2) by (c, s) is inverted by its transpose (divided
// by c²+s², 1 unless the table is scaled).
func unrope(v []float64, rotary int, c, s []float32) {
	half := rotary / 2
	for i := range half {
		ci, si := float64(c[i]), float64(s[i])
		n := ci*ci + si*si
		a, b := v[i], v[i+half]
		v[i] = (a*ci + b*si) / n
		v[i+half] = (b*ci - a*si) / n
	}
}

// TestQueryStatsGolden: the statistics of the golden sequences equal the
// mean and covariance (N-1) of transformers' queries, inverse-rotated to
// before RoPE, over every token but the first nSink of each sequence; for a
// model with q-norm (qwen3) and one with GQA and llama3 rope scaling
// (llama31).
func TestQueryStatsGolden(t *testing.T) {
	for _, arch := range []string{"qwen3", "llama31"} {
		t.Run(arch, func(t *testing.T) {
			const nSink = 3
			dir := archDir(t, arch)
			m, err := model.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			g, err := safetensors.Open(filepath.Join(dir, "golden.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			idsT, err := g.Tensor("input_ids")
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := idsT.Int64()
			n, seq := idsT.Shape[0], idsT.Shape[1]
			seqs := make([][]int, n)
			for s := range seqs {
				for _, v := range raw[s*seq : (s+1)*seq] {
					seqs[s] = append(seqs[s], int(v))
				}
			}
			st, err := CollectQueryStats(m, seqs, nSink, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := st.ExpStats()
			if err != nil {
				t.Fatal(err)
			}
			c := m.Config
			H, d := c.Heads, c.HeadDim
			if got.Layers != c.Layers || got.Heads != H || got.HeadDim != d {
				t.Fatalf("shape [%d %d %d]", got.Layers, got.Heads, got.HeadDim)
			}
			N := float64(n * (seq - nSink))
			if st.Count[0] != int64(N) {
				t.Fatalf("count %d, want %v", st.Count[0], N)
			}
			for l := range c.Layers {
				q := goldenTensor(t, g, fmt.Sprintf("queries.%d", l)) // [n][H][seq][d]
				rotary, cos, sin := c.RotaryTable(l, 0, seq)
				half := rotary / 2
				for h := range H {
					var rows [][]float64
					for s := range n {
						for p := nSink; p < seq; p++ {
							v := make([]float64, d)
							for t := range d {
								v[t] = float64(q[((s*H+h)*seq+p)*d+t])
							}
							unrope(v, rotary, cos[p*half:(p+1)*half], sin[p*half:(p+1)*half])
							rows = append(rows, v)
						}
					}
					mean := make([]float64, d)
					for _, v := range rows {
						for t := range d {
							mean[t] += v[t] / N
						}
					}
					var scale float64
					cov := make([]float64, d*d)
					for a := range d {
						for b := range d {
							for _, v := range rows {
								cov[a*d+b] += (v[a] - mean[a]) * (v[b] - mean[b])
							}
							cov[a*d+b] /= N - 1
							scale = math.Max(scale, math.Abs(cov[a*d+b]))
						}
					}
					base := (l*H + h) * d
					for a := range d {
						if diff := math.Abs(float64(got.Mean[base+a]) - mean[a]); diff > 1e-4*(1+math.Abs(mean[a])) {
							t.Fatalf("layer %d head %d: mean[%d] = %v, want %v", l, h, a, got.Mean[base+a], mean[a])
						}
						for b := range d {
							if diff := math.Abs(float64(got.Cov[base*d+a*d+b]) - cov[a*d+b]); diff > 1e-4*scale {
								t.Fatalf("layer %d head %d: cov[%d][%d] = %v, want %v", l, h, a, b, got.Cov[base*d+a*d+b], cov[a*d+b])
							}
						}
					}
				}
			}
		})
	}
}

// TestQueryStatsShardsMerge: shards of sequences of different lengths,
// written to files, read back and merged in shuffled order, give the
// statistics of the whole run.
func TestQueryStatsShardsMerge(t *testing.T) {
	m := tinyModel(t)
	r := rand.New(rand.NewPCG(3, 4))
	var seqs [][]int
	for _, n := range []int{40, 17, 3, 60, 25, 4, 33} { // two at most n_sink long
		s := make([]int, n)
		for i := range s {
			s[i] = 3 + r.IntN(m.Config.Vocab-3)
		}
		seqs = append(seqs, s)
	}
	const nSink = 4
	whole, err := CollectQueryStats(m, seqs, nSink, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(36 + 13 + 56 + 21 + 29); whole.Count[2] != want {
		t.Fatalf("count %d, want %d (tokens after the sinks)", whole.Count[2], want)
	}
	dir := t.TempDir()
	var parts []*QueryStats
	var names []string
	for _, i := range []int{2, 0, 1} {
		st, err := CollectQueryStats(m, seqs, nSink, Options{Shard: i, Shards: 3})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("shard%d.safetensors", i))
		if err := WriteQueryStats(path, st); err != nil {
			t.Fatal(err)
		}
		if !IsQueryStats(path) {
			t.Fatal("IsQueryStats false on a query stats file")
		}
		back, err := ReadQueryStats(path)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, back)
		names = append(names, path)
	}
	if _, err := MergeQueryStats(parts[:2], names[:2]); err == nil {
		t.Error("merge with a shard missing succeeded")
	}
	merged, err := MergeQueryStats(parts, names)
	if err != nil {
		t.Fatal(err)
	}
	a, err := whole.ExpStats()
	if err != nil {
		t.Fatal(err)
	}
	b, err := merged.ExpStats()
	if err != nil {
		t.Fatal(err)
	}
	for l := range whole.Count {
		if whole.Count[l] != merged.Count[l] {
			t.Fatalf("layer %d: count %d merged vs %d whole", l, merged.Count[l], whole.Count[l])
		}
		for i, v := range whole.Gram[l] {
			if math.Abs(v-merged.Gram[l][i]) > 1e-12*(1+math.Abs(v)) {
				t.Fatalf("layer %d: gram[%d] %v merged vs %v whole", l, i, merged.Gram[l][i], v)
			}
		}
	}
	for _, p := range [][2][]float32{{a.Mean, b.Mean}, {a.Cov, b.Cov}} {
		for i := range p[0] {
			if math.Abs(float64(p[0][i]-p[1][i])) > 1e-6*(1+math.Abs(float64(p[0][i]))) {
				t.Fatalf("merged %v vs whole %v at %d", p[1][i], p[0][i], i)
			}
		}
	}
	// A shard of another n_sink does not belong.
	other, err := CollectQueryStats(m, seqs, 2, Options{Shard: 1, Shards: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MergeQueryStats([]*QueryStats{parts[0], other, parts[2]}, []string{"a", "b", "c"}); err == nil {
		t.Error("shards with different n_sink merged")
	}
}

// TestExpStatsRoundTrip: what ExpStats gives is written and read back as
// kvpress lays it out.
func TestExpStatsRoundTrip(t *testing.T) {
	m := tinyModel(t)
	st, err := CollectQueryStats(m, randomSeqs(3, 20, m.Config.Vocab), 4, Options{})
	if err != nil {
		t.Fatal(err)
	}
	es, err := st.ExpStats()
	if err != nil {
		t.Fatal(err)
	}
	es.ModelName, es.DatasetName, es.NumSamples, es.SampleSeqLen = "stories260K", "tinystories", 3, 1000
	dir := filepath.Join(t.TempDir(), "stats")
	if err := export.WriteExpStats(dir, es, export.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	back, err := export.ReadExpStats(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range es.Cov {
		if es.Cov[i] != back.Cov[i] {
			t.Fatal("covariance changed in the round trip")
		}
	}
	// The covariance is symmetric and its diagonal non-negative.
	d := es.HeadDim
	for i := 0; i < es.Layers*es.Heads; i++ {
		c := es.Cov[i*d*d : (i+1)*d*d]
		for a := range d {
			if c[a*d+a] < 0 {
				t.Fatalf("negative variance %v", c[a*d+a])
			}
			for b := range d {
				if c[a*d+b] != c[b*d+a] {
					t.Fatalf("asymmetric covariance")
				}
			}
		}
	}
}

// TestRunWithQueryStats: one pass gives the filters of Run and the
// statistics of CollectQueryStats, also when interrupted after two layers
// and resumed from its checkpoint.
func TestRunWithQueryStats(t *testing.T) {
	m := tinyModel(t)
	seqs := randomSeqs(4, 48, m.Config.Vocab)
	opt := Options{Samples: 100, Seed: 5}
	wantRes, err := Run(m, seqs, opt)
	if err != nil {
		t.Fatal(err)
	}
	wantQS, err := CollectQueryStats(m, seqs, 4, Options{})
	if err != nil {
		t.Fatal(err)
	}
	check := func(res *Result, qs *QueryStats) {
		t.Helper()
		if !slices.Equal(res.QFilters, wantRes.QFilters) {
			t.Error("filters differ from Run's")
		}
		for l := range qs.Gram {
			if qs.Count[l] != wantQS.Count[l] || !slices.Equal(qs.Sum[l], wantQS.Sum[l]) || !slices.Equal(qs.Gram[l], wantQS.Gram[l]) {
				t.Fatalf("layer %d: statistics differ from CollectQueryStats'", l)
			}
		}
	}
	res, qs, err := RunWithQueryStats(m, seqs, 4, opt)
	if err != nil {
		t.Fatal(err)
	}
	check(res, qs)

	ckOpt := opt
	ckOpt.CheckpointDir = filepath.Join(t.TempDir(), "ck")
	ckOpt.CheckpointLayers = 1 // after every layer, so that layer 2 is where it resumes
	ctx, cancel := context.WithCancel(context.Background())
	ckOpt.Context = ctx
	ckOpt.Progress = func(layer, seq int) {
		if layer == 2 {
			cancel()
		}
	}
	if _, _, err := RunWithQueryStats(m, seqs, 4, ckOpt); err == nil {
		t.Fatal("cancelled run succeeded")
	}
	ckOpt.Context, ckOpt.Progress = nil, nil
	resumed := -1
	ckOpt.Resumed = func(layer int) { resumed = layer }
	res, qs, err = RunWithQueryStats(m, seqs, 4, ckOpt)
	if err != nil {
		t.Fatal(err)
	}
	if resumed != 2 {
		t.Errorf("resumed at layer %d, want 2", resumed)
	}
	check(res, qs)
}
