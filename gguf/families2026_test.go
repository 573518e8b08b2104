package gguf_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/gguf"
	"github.com/qfilters/qfilters/internal/fixture"
)

// TestArchitectures2026: the dense 2025-26 fixtures converted as llama.cpp's
// converter writes them (SmolLM3 and Granite through LlamaModel, q/k rows
// permuted; GLM-4 with its extra norms and fused gate_up; OLMo 3 as olmo2
// with a sliding-window pattern; Cohere 2 with its logit scale; Granite's
// four multipliers as metadata) give the filters of the checkpoint, bit for
// bit. llama.cpp takes every fourth SmolLM3 layer as NoPE whatever the
// checkpoint said (the file cannot say), so SmolLM3's is compared with the
// checkpoint under that reading.
func TestArchitectures2026(t *testing.T) {
	for _, c := range []struct {
		fixture, arch string
		edit          map[string]any // config.json keys of the reading llama.cpp makes
	}{
		{"smollm3", "smollm3", map[string]any{"no_rope_layer_interval": 4}},
		{"olmo3", "olmo2", nil},
		{"granite", "granite", nil},
		{"glm4", "glm4", nil},
		{"cohere2", "cohere2", nil},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			dir := fixture.Arch(c.fixture)
			hf := loadHF(t, dir)
			path, _ := convert(t, hf, c.arch, gguf.F32, 3, 0)
			seqs := goldenIDs(t, dir)
			if c.edit != nil {
				dir = editedCopy(t, dir, c.edit)
			}
			want := calibrateOn(t, dir, seqs)
			got := calibrateOn(t, path, seqs)
			if !slices.Equal(got.QFilters, want.QFilters) || !slices.Equal(got.PerQueryHead, want.PerQueryHead) {
				d := got.HeadDim
				worst := 1.0
				for f := 0; f < min(got.Layers*got.KVHeads, want.Layers*want.KVHeads); f++ {
					worst = min(worst, cosine(got.QFilters[f*d:(f+1)*d], want.QFilters[f*d:(f+1)*d]))
				}
				t.Errorf("filters differ from the checkpoint's: worst cosine %.7f", worst)
			}
		})
	}
}

// TestGLM45MoE: the GLM-4.5 fixtures (with and without q/k norm, a dense
// first layer, routed and shared experts) converted as Glm4MoeModel writes
// them (experts merged into ffn_*_exps, the correction bias as
// exp_probs_b.bias, routing as metadata) give the checkpoint's filters, bit
// for bit, each expert read as its slice of the merged tensor. The file
// carries no expert groups (llama.cpp has none for GLM-4.5), so the grouped
// fixture is compared with its single-group reading.
func TestGLM45MoE(t *testing.T) {
	for _, c := range []struct {
		fixture string
		edit    map[string]any
	}{
		{"glm4_moe", map[string]any{"n_group": 1, "topk_group": 1}},
		{"glm4_moe_noqknorm", nil},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			dir := fixture.Arch(c.fixture)
			hf := loadHF(t, dir)
			mergeExperts(hf)
			path, _ := convert(t, hf, "glm4moe", gguf.F32, 3, 0)
			seqs := goldenIDs(t, dir)
			if c.edit != nil {
				dir = editedCopy(t, dir, c.edit)
			}
			want := calibrateOn(t, dir, seqs)
			got := calibrateOn(t, path, seqs)
			if !slices.Equal(got.QFilters, want.QFilters) || !slices.Equal(got.PerQueryHead, want.PerQueryHead) {
				t.Errorf("filters differ from the checkpoint's")
			}
		})
	}
}

// TestSplitExpertsMoE: Granite MoE and Llama 4 converted as llama.cpp's
// converter writes them (the 3-D gate/up tensor split into ffn_gate_exps
// and ffn_up_exps, Llama 4's transposed, down as [E][H][I]; Granite's q/k
// rows permuted; Llama 4's intermediate sizes swapped and its llama3 RoPE as
// a rope_freqs tensor) give the checkpoint's filters: Granite's bit for bit,
// Llama 4's up to the rounding of its RoPE factors (as Llama 3.1's). Llama 4
// is compared with the reading llama.cpp imposes (chunks of 8192, NoPE every
// fourth layer, temperature scale 0.1 and floor 8192).
func TestSplitExpertsMoE(t *testing.T) {
	for _, c := range []struct {
		fixture, arch string
		edit          map[string]any
		inexact       bool
	}{
		{"granitemoe", "granitemoe", nil, false},
		{"llama4_text", "llama4", map[string]any{"attention_chunk_size": 8192, "floor_scale": 8192, "attn_scale": 0.1,
			"no_rope_layer_interval": 4}, true},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			dir := fixture.Arch(c.fixture)
			hf := loadHF(t, dir)
			splitFusedExperts(hf)
			if c.arch == "llama4" {
				hf.cfg["intermediate_size_moe"], hf.cfg["intermediate_size"] = hf.cfg["intermediate_size"], hf.cfg["intermediate_size_mlp"]
			}
			path, _ := convert(t, hf, c.arch, gguf.F32, 3, 0)
			seqs := goldenIDs(t, dir)
			if c.edit != nil {
				dir = editedCopy(t, dir, c.edit)
			}
			want := calibrateOn(t, dir, seqs)
			got := calibrateOn(t, path, seqs)
			d := got.HeadDim
			worst := 1.0
			for f := 0; f < got.Layers*got.KVHeads; f++ {
				worst = min(worst, cosine(got.QFilters[f*d:(f+1)*d], want.QFilters[f*d:(f+1)*d]))
			}
			if same := slices.Equal(got.QFilters, want.QFilters); !same && (!c.inexact || worst < 1-1e-6) {
				t.Errorf("filters differ from the checkpoint's: worst cosine %.7f", worst)
			}
		})
	}
}

// splitFusedExperts does what the converters do to 3-D expert tensors:
// Granite MoE's input_linear [E][2I][H] split into gate and up; Llama 4's
// gate_up_proj [E][H][2I] transposed and split, its down_proj [E][I][H]
// transposed to [E][H][I].
func splitFusedExperts(m *hfModel) {
	for n, v := range m.tensors {
		sh := m.shapes[n]
		switch {
		case strings.HasSuffix(n, "block_sparse_moe.input_linear.weight"):
			e, two, h := sh[0], sh[1], sh[2]
			gate, up := make([]float32, 0, len(v)/2), make([]float32, 0, len(v)/2)
			for x := 0; x < e; x++ {
				blk := v[x*two*h : (x+1)*two*h]
				gate = append(gate, blk[:two/2*h]...)
				up = append(up, blk[two/2*h:]...)
			}
			p := strings.TrimSuffix(n, "input_linear.weight")
			m.put(p+"experts.gate_proj.weight", gate, e, two/2, h)
			m.put(p+"experts.up_proj.weight", up, e, two/2, h)
			m.put(p+"experts.down_proj.weight", m.tensors[p+"output_linear.weight"], m.shapes[p+"output_linear.weight"]...)
			m.drop(n, p+"output_linear.weight")
		case strings.HasSuffix(n, "feed_forward.experts.gate_up_proj"):
			e, h, two := sh[0], sh[1], sh[2]
			gate, up := make([]float32, 0, len(v)/2), make([]float32, 0, len(v)/2)
			for x := 0; x < e; x++ {
				for r := 0; r < two; r++ { // row r of the transpose: column r
					for c := 0; c < h; c++ {
						val := v[(x*h+c)*two+r]
						if r < two/2 {
							gate = append(gate, val)
						} else {
							up = append(up, val)
						}
					}
				}
			}
			p := strings.TrimSuffix(n, "gate_up_proj")
			m.put(p+"gate_proj.weight", gate, e, two/2, h)
			m.put(p+"up_proj.weight", up, e, two/2, h)
			dn := m.tensors[p+"down_proj"]
			ds := m.shapes[p+"down_proj"] // [E][I][H]
			out := make([]float32, 0, len(dn))
			for x := 0; x < ds[0]; x++ {
				for c := 0; c < ds[2]; c++ {
					for r := 0; r < ds[1]; r++ {
						out = append(out, dn[(x*ds[1]+r)*ds[2]+c])
					}
				}
			}
			m.put(p+"down_proj.weight", out, ds[0], ds[2], ds[1])
			m.drop(n, p+"down_proj")
		}
	}
}

func (m *hfModel) put(name string, v []float32, shape ...int) {
	m.tensors[name], m.shapes[name] = v, shape
}

func (m *hfModel) drop(names ...string) {
	for _, n := range names {
		delete(m.tensors, n)
		delete(m.shapes, n)
	}
}

// mergeExperts does what the converter's MoE handling does before naming:
// each layer's experts stacked into one [E][rows][cols] tensor per
// projection, and the router's e_score_correction_bias renamed
// e_score_correction.bias.
func mergeExperts(m *hfModel) {
	expert := regexp.MustCompile(`^(model\.layers\.\d+\.mlp\.experts)\.(\d+)\.(\w+)\.weight$`)
	type key struct{ prefix, proj string }
	parts := map[key]map[int]string{}
	for n := range m.tensors {
		if strings.HasSuffix(n, "e_score_correction_bias") {
			nn := strings.TrimSuffix(n, "_bias") + ".bias"
			m.tensors[nn], m.shapes[nn] = m.tensors[n], m.shapes[n]
			delete(m.tensors, n)
			delete(m.shapes, n)
			continue
		}
		if g := expert.FindStringSubmatch(n); g != nil {
			k := key{g[1], g[3]}
			if parts[k] == nil {
				parts[k] = map[int]string{}
			}
			e, _ := strconv.Atoi(g[2])
			parts[k][e] = n
		}
	}
	for k, byE := range parts {
		var data []float32
		var shape []int
		for e := 0; e < len(byE); e++ {
			n := byE[e]
			data = append(data, m.tensors[n]...)
			shape = append([]int{len(byE)}, m.shapes[n]...)
			delete(m.tensors, n)
			delete(m.shapes, n)
		}
		name := k.prefix + "." + k.proj + ".weight"
		m.tensors[name], m.shapes[name] = data, shape
	}
}

// editedCopy is a copy of dir with keys of its config.json replaced.
func editedCopy(t *testing.T, dir string, edit map[string]any) string {
	t.Helper()
	out := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	for k, v := range edit {
		cfg[k] = v
	}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(out, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "model.safetensors"), w, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}
