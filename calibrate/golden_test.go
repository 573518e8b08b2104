package calibrate

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"

	"github.com/qfilters/qfilters/model"
	"github.com/qfilters/qfilters/safetensors"
)

var allArchs = []string{"llama31", "llama2", "mistral", "qwen2", "qwen3", "phi3_longrope", "phi4mini_partial",
	"olmo2", "gemma2", "gemma3", "gpt_neox", "mixtral", "qwen3_moe",
	"rope_linear", "rope_dynamic", "rope_yarn", "rope_yarn_mscale", "rope_longrope",
	"ministral3", "gpt_oss", "gpt_oss_bf16",
	"smollm3", "olmo3", "granite", "granitemoe", "glm4", "glm4_moe", "glm4_moe_noqknorm", "cohere2", "llama4_text", "llama4"}

func archDir(t testing.TB, name string) string {
	t.Helper()
	return fixture.Arch(name)
}

func goldenTensor(t testing.TB, ck *safetensors.Checkpoint, name string) []float32 {
	t.Helper()
	ten, err := ck.Tensor(name)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ten.Float32()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// TestGoldenFilters calibrates every architecture fixture on its golden
// input_ids with every position (the reference's math without sub-sampling)
// and compares with the filters transformers + the reference rule produced.
func TestGoldenFilters(t *testing.T) {
	for _, arch := range allArchs {
		t.Run(arch, func(t *testing.T) {
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
			res, err := Run(m, seqs, Options{Samples: 0, Sign: SignVote})
			if err != nil {
				t.Fatal(err)
			}
			d, rep := res.HeadDim, res.Heads/res.KVHeads
			wantQ := goldenTensor(t, g, "filters_per_qhead")
			wantKV := goldenTensor(t, g, "filters")
			// Per query head: same direction and sign, except where the
			// reference's own vote was an exact tie (its sign is then an
			// accident of LAPACK's orientation): there only the axis must
			// agree, and the reference's orientation is adopted to check the
			// GQA average.
			aligned := append([]float32(nil), res.PerQueryHead...)
			ties := 0
			for l := 0; l < res.Layers; l++ {
				for h := 0; h < res.Heads; h++ {
					i := l*res.Heads + h
					got, want := aligned[i*d:(i+1)*d], wantQ[i*d:(i+1)*d]
					c := cosine(got, want)
					if referenceTie(t, g, l, h, want) {
						ties++
						if math.Abs(c) < 0.9999 {
							t.Errorf("layer %d head %d (tie): |cosine| %.6f < 0.9999", l, h, math.Abs(c))
						}
						if c < 0 {
							for j := range got {
								got[j] = -got[j]
							}
						}
						continue
					}
					if c < 0.9999 {
						t.Errorf("filters_per_qhead layer %d head %d: cosine %.6f < 0.9999", l, h, c)
					}
				}
			}
			worst := 1.0
			for i := 0; i < res.Layers*res.KVHeads; i++ {
				l, g := i/res.KVHeads, i%res.KVHeads
				// Our q_filters are the plain mean of our per-query-head filters.
				for j := 0; j < d; j++ {
					var s float64
					for h := g * rep; h < (g+1)*rep; h++ {
						s += float64(res.PerQueryHead[((l*res.Heads+h)*d)+j])
					}
					if diff := math.Abs(float64(res.QFilters[i*d+j]) - s/float64(rep)); diff > 1e-6 {
						t.Fatalf("q_filters[%d][%d] is not the GQA mean (off by %g)", l, g, diff)
					}
				}
				mean := make([]float32, d)
				for h := g * rep; h < (g+1)*rep; h++ {
					for j := range mean {
						mean[j] += aligned[(l*res.Heads+h)*d+j] / float32(rep)
					}
				}
				c := cosine(mean, wantKV[i*d:(i+1)*d])
				worst = math.Min(worst, c)
				if c < 0.9999 {
					t.Errorf("filters layer %d kv head %d: cosine %.6f < 0.9999", l, g, c)
				}
			}
			t.Logf("worst kv-filter cosine %.8f; %d reference ties", worst, ties)
			sv := goldenTensor(t, g, "singular_values")
			var num, den float64
			for i := range sv {
				num += math.Pow(float64(res.SingularValues[i]-sv[i]), 2)
				den += float64(sv[i]) * float64(sv[i])
			}
			if e := math.Sqrt(num / den); e > 1e-4 {
				t.Errorf("singular values: rel err %.3g", e)
			}
		})
	}
}

// referenceTie reports whether the reference's vote for (layer, head) was an
// exact tie: half of the golden queries project positively on its filter.
func referenceTie(t testing.TB, g *safetensors.Checkpoint, layer, head int, filter []float32) bool {
	ten, err := g.Tensor(fmt.Sprintf("queries.%d", layer))
	if err != nil {
		t.Fatal(err)
	}
	q, _ := ten.Float32()
	ns, heads, seq, d := ten.Shape[0], ten.Shape[1], ten.Shape[2], ten.Shape[3]
	pos := 0
	for s := 0; s < ns; s++ {
		for p := 0; p < seq; p++ {
			var dot float64
			for i := 0; i < d; i++ {
				dot += float64(q[((s*heads+head)*seq+p)*d+i]) * float64(filter[i])
			}
			if dot < 0 {
				pos++
			}
		}
	}
	return 2*pos == ns*seq
}
