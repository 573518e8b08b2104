package model

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"

	"github.com/qfilters/qfilters/kernels"
	"github.com/qfilters/qfilters/safetensors"
)

func archDir(t testing.TB, name string) string {
	t.Helper()
	return fixture.Arch(name)
}

// golden holds what transformers computed for an arch fixture.
type golden struct {
	ids     [][]int
	seq     int
	tensors *safetensors.Checkpoint
}

func loadGolden(t testing.TB, dir string) *golden {
	t.Helper()
	ck, err := safetensors.Open(filepath.Join(dir, "golden.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ck.Close() })
	ti, err := ck.Tensor("input_ids")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ti.Int64()
	if err != nil {
		t.Fatal(err)
	}
	n, seq := ti.Shape[0], ti.Shape[1]
	g := &golden{seq: seq, tensors: ck}
	for s := 0; s < n; s++ {
		ids := make([]int, seq)
		for i := range ids {
			ids[i] = int(raw[s*seq+i])
		}
		g.ids = append(g.ids, ids)
	}
	return g
}

func (g *golden) f32(t testing.TB, name string) ([]float32, []int) {
	t.Helper()
	ten, err := g.tensors.Tensor(name)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ten.Float32()
	if err != nil {
		t.Fatal(err)
	}
	return v, ten.Shape
}

// relErr is ||got-want|| / ||want||.
func relErr(got, want []float32) float64 {
	var num, den float64
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		num += d * d
		den += float64(want[i]) * float64(want[i])
	}
	return math.Sqrt(num / math.Max(den, 1e-30))
}

// headMajor reorders token-major [seq][heads*d] to [heads][seq][d].
func headMajor(x []float32, seq, heads, d int) []float32 {
	out := make([]float32, len(x))
	for p := 0; p < seq; p++ {
		for h := 0; h < heads; h++ {
			copy(out[(h*seq+p)*d:(h*seq+p+1)*d], x[(p*heads+h)*d:(p*heads+h+1)*d])
		}
	}
	return out
}

var allArchs = []string{"llama31", "llama2", "mistral", "qwen2", "qwen3", "phi3_longrope", "phi4mini_partial",
	"olmo2", "gemma2", "gemma3", "gpt_neox", "mixtral", "qwen3_moe",
	"rope_linear", "rope_dynamic", "rope_yarn", "rope_yarn_mscale", "rope_longrope",
	"ministral3", "gpt_oss", "gpt_oss_bf16",
	"smollm3", "olmo3", "granite", "granitemoe", "glm4", "glm4_moe", "glm4_moe_noqknorm", "cohere2", "llama4_text", "llama4"}

// TestGoldenForward checks queries, keys and logits of every layer against
// transformers' float32 eager forward pass, for every architecture fixture.
func TestGoldenForward(t *testing.T) {
	for _, arch := range allArchs {
		t.Run(arch, func(t *testing.T) {
			dir := archDir(t, arch)
			m, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			g := loadGolden(t, dir)
			c := m.Config
			const tol = 1e-4
			var worst float64
			check := func(what string, got, want []float32) {
				e := relErr(got, want)
				worst = math.Max(worst, e)
				if e > tol {
					t.Errorf("%s: rel err %.3g > %g", what, e, tol)
				}
			}
			for s, ids := range g.ids {
				queries := map[int][]float32{}
				keys := map[int][]float32{}
				logits, err := m.Forward(ids, func(l int, q, k []float32) {
					queries[l] = headMajor(q, len(ids), c.Heads, c.HeadDim)
					keys[l] = headMajor(k, len(ids), c.KVHeads, c.HeadDim)
				})
				if err != nil {
					t.Fatal(err)
				}
				for l := 0; l < c.Layers; l++ {
					for _, kind := range []struct {
						name string
						got  []float32
					}{{"queries", queries[l]}, {"keys", keys[l]}} {
						want, shape := g.f32(t, fmt.Sprintf("%s.%d", kind.name, l))
						per := len(want) / shape[0]
						check(fmt.Sprintf("seq %d layer %d %s", s, l, kind.name), kind.got, want[s*per:(s+1)*per])
					}
				}
				want, shape := g.f32(t, "logits")
				per := len(want) / shape[0]
				check(fmt.Sprintf("seq %d logits", s), logits, want[s*per:(s+1)*per])
			}
			t.Logf("worst relative error %.2g", worst)
		})
	}
}

// TestGoldenEveryKernelPath runs a few architectures' goldens with each
// kernel path this CPU supports forced in turn (the pure-Go fallback is what
// other CPUs get).
func TestGoldenEveryKernelPath(t *testing.T) {
	for _, p := range kernels.Paths() {
		t.Run(p.String(), func(t *testing.T) {
			defer kernels.SetPath(p)()
			for _, arch := range []string{"llama31", "gemma2", "gpt_neox"} {
				dir := archDir(t, arch)
				m, err := Open(dir)
				if err != nil {
					t.Fatal(err)
				}
				g := loadGolden(t, dir)
				logits, err := m.Forward(g.ids[0], nil)
				m.Close()
				if err != nil {
					t.Fatal(err)
				}
				want, shape := g.f32(t, "logits")
				per := len(want) / shape[0]
				if e := relErr(logits, want[:per]); e > 1e-4 {
					t.Errorf("%s on %s: logits rel err %.3g", arch, p, e)
				}
			}
		})
	}
}
