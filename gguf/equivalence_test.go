package gguf_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/gguf"
	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/safetensors"
)

// A test-side converter: what llama.cpp's convert_hf_to_gguf does for Llama
// and Qwen 2, written from its description: tensor names, the q/k row
// permutation for Llama (LlamaModel.permute), 2-D weights quantized, 1-D
// tensors kept in F32, and the metadata.

var hfLayer = regexp.MustCompile(`^(?:model|gpt_neox)\.layers\.(\d+)\.(.+)\.(weight|bias)$`)

// blockNames are the converter's names of a layer's tensors, by
// architecture (tensor_mapping.py).
func blockNames(arch string) map[string]string {
	m := map[string]string{
		"input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
		"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
		"self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm",
		"mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down",
	}
	switch arch {
	case "gemma2", "gemma3":
		m["post_attention_layernorm"] = "post_attention_norm"
		m["pre_feedforward_layernorm"] = "ffn_norm"
		m["post_feedforward_layernorm"] = "post_ffw_norm"
	case "olmo2":
		m["post_attention_layernorm"] = "post_attention_norm"
		m["post_feedforward_layernorm"] = "post_ffw_norm"
	case "phi3":
		m["self_attn.qkv_proj"] = "attn_qkv"
		m["mlp.gate_up_proj"] = "ffn_up"
	case "granitemoe", "llama4": // after splitFusedExperts
		for _, p := range []string{"gate", "up", "down"} {
			m["block_sparse_moe.experts."+p+"_proj"] = "ffn_" + p + "_exps"
			m["feed_forward.experts."+p+"_proj"] = "ffn_" + p + "_exps"
			m["feed_forward.shared_expert."+p+"_proj"] = "ffn_" + p + "_shexp"
			m["feed_forward."+p+"_proj"] = "ffn_" + p
		}
		m["block_sparse_moe.router.layer"], m["feed_forward.router"] = "ffn_gate_inp", "ffn_gate_inp"
	case "glm4moe": // after mergeExperts
		for _, p := range []string{"gate", "up", "down"} {
			m["mlp.experts."+p+"_proj"] = "ffn_" + p + "_exps"
			m["mlp.shared_experts."+p+"_proj"] = "ffn_" + p + "_shexp"
		}
		m["mlp.gate"], m["mlp.gate.e_score_correction"] = "ffn_gate_inp", "exp_probs_b"
	case "glm4":
		m["post_self_attn_layernorm"] = "post_attention_norm"
		m["post_attention_layernorm"] = "ffn_norm"
		m["post_mlp_layernorm"] = "post_ffw_norm"
		m["mlp.gate_up_proj"] = "ffn_up"
	case "gptneox":
		m = map[string]string{"input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
			"attention.query_key_value": "attn_qkv", "attention.dense": "attn_output",
			"mlp.dense_h_to_4h": "ffn_up", "mlp.dense_4h_to_h": "ffn_down"}
	}
	return m
}

func ggufName(arch, hf string) string {
	switch hf {
	case "model.embed_tokens.weight", "gpt_neox.embed_in.weight":
		return "token_embd.weight"
	case "model.norm.weight", "gpt_neox.final_layer_norm.weight":
		return "output_norm.weight"
	case "gpt_neox.final_layer_norm.bias":
		return "output_norm.bias"
	case "lm_head.weight", "embed_out.weight":
		return "output.weight"
	}
	m := hfLayer.FindStringSubmatch(hf)
	return fmt.Sprintf("blk.%s.%s.%s", m[1], blockNames(arch)[m[2]], m[3])
}

// splitNeoxQKV is GPTNeoXModel's rewrite of query_key_value: per-head
// [h][q,k,v][d] rows become [all q; all k; all v].
func splitNeoxQKV(v []float32, rows, cols, n int) []float32 {
	out := make([]float32, len(v))
	d := rows / (3 * n)
	for h := 0; h < n; h++ {
		for t := 0; t < 3; t++ {
			for r := 0; r < d; r++ {
				src, dst := h*3*d+t*d+r, t*n*d+h*d+r
				copy(out[dst*cols:(dst+1)*cols], v[src*cols:(src+1)*cols])
			}
		}
	}
	return out
}

// permuteRows is LlamaModel.permute: within each of n heads, row j·(d/2)+i
// moves to 2i+j. inverse undoes it.
func permuteRows(v []float32, rows, cols, n int, inverse bool) []float32 {
	out := make([]float32, len(v))
	d := rows / n
	for h := 0; h < n; h++ {
		for j := 0; j < 2; j++ {
			for i := 0; i < d/2; i++ {
				hf, gg := h*d+j*(d/2)+i, h*d+2*i+j
				src, dst := hf, gg
				if inverse {
					src, dst = gg, hf
				}
				copy(out[dst*cols:(dst+1)*cols], v[src*cols:(src+1)*cols])
			}
		}
	}
	return out
}

type hfModel struct {
	config  []byte
	cfg     map[string]any
	tensors map[string][]float32
	shapes  map[string][]int
}

func loadHF(t *testing.T, dir string) *hfModel {
	t.Helper()
	m := &hfModel{tensors: map[string][]float32{}, shapes: map[string][]int{}}
	var err error
	if m.config, err = os.ReadFile(filepath.Join(dir, "config.json")); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(m.config, &m.cfg)
	ck, err := safetensors.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	for _, n := range ck.Names() {
		ten, err := ck.Tensor(n)
		if err != nil {
			t.Fatal(err)
		}
		if m.tensors[n], err = ten.Float32(); err != nil {
			t.Fatal(err)
		}
		m.shapes[n] = ten.Shape
	}
	return m
}

func (m *hfModel) int(key string, def int) int {
	if v, ok := m.cfg[key].(float64); ok {
		return int(v)
	}
	return def
}

func (m *hfModel) float(key string, def float64) float64 {
	if v, ok := m.cfg[key].(float64); ok {
		return v
	}
	return def
}

// convert writes m as a GGUF of architecture arch with 2-D weights of type
// typ, and returns the raw tensors written (by GGUF name).
func convert(t *testing.T, m *hfModel, arch string, typ gguf.Type, version uint32, alignment int) (string, map[string]gguf.RawTensor) {
	t.Helper()
	return convertMixed(t, m, arch, func(string) gguf.Type { return typ }, version, alignment)
}

// convertMixed is convert with the type of each 2-D weight chosen by its
// GGUF name, as llama.cpp's quantizer mixes them (Q4_K_M and the like).
func convertMixed(t *testing.T, m *hfModel, arch string, typeOf func(ggufName string) gguf.Type, version uint32, alignment int) (string, map[string]gguf.RawTensor) {
	t.Helper()
	heads := m.int("num_attention_heads", 0)
	kv := m.int("num_key_value_heads", heads)
	hidden := m.int("hidden_size", 0)
	kvs := []gguf.KV{
		{Key: "general.architecture", Val: arch},
		{Key: arch + ".block_count", Val: uint32(m.int("num_hidden_layers", 0))},
		{Key: arch + ".context_length", Val: uint32(m.int("max_position_embeddings", 0))},
		{Key: arch + ".embedding_length", Val: uint32(hidden)},
		{Key: arch + ".feed_forward_length", Val: uint32(m.int("intermediate_size", 0))},
		{Key: arch + ".attention.head_count", Val: uint32(heads)},
		{Key: arch + ".attention.head_count_kv", Val: uint32(kv)},
		{Key: arch + epsKey(arch), Val: float32(m.float("rms_norm_eps", m.float("layer_norm_eps", 1e-6)))},
		{Key: arch + ".rope.freq_base", Val: float32(m.float("rope_theta", 10000))},
		{Key: arch + ".rope.dimension_count", Val: uint32(float64(m.int("head_dim", hidden/heads)) * m.float("partial_rotary_factor", m.float("rotary_pct", 1)))},
		{Key: arch + ".vocab_size", Val: uint32(m.int("vocab_size", 0))},
	}
	kvs = append(kvs, archMetadata(m, arch)...)
	raw := map[string]gguf.RawTensor{}
	var list []gguf.RawTensor
	names := make([]string, 0, len(m.tensors))
	for n := range m.tensors {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		v, shape := m.tensors[n], m.shapes[n]
		g := ggufName(arch, n)
		rows, cols := shape[0], 1
		if len(shape) == 2 {
			cols = shape[1]
		}
		v = slices.Clone(v)
		switch {
		case llamaConverted(arch) && (strings.HasSuffix(g, ".attn_q.weight") || strings.HasSuffix(g, ".attn_q.bias")):
			v = permuteRows(v, rows, cols, heads, false)
		case llamaConverted(arch) && (strings.HasSuffix(g, ".attn_k.weight") || strings.HasSuffix(g, ".attn_k.bias")):
			v = permuteRows(v, rows, cols, kv, false)
		case arch == "gptneox" && strings.HasSuffix(g, ".attn_qkv.weight") || strings.HasSuffix(g, ".attn_qkv.bias") && arch == "gptneox":
			v = splitNeoxQKV(v, rows, cols, heads)
		case (arch == "gemma2" || arch == "gemma3") && strings.HasSuffix(g, "norm.weight"):
			for i := range v {
				v[i]++
			}
		}
		tt := gguf.F32
		if len(shape) == 2 {
			tt = typeOf(g)
		}
		dims := slices.Clone(shape)
		slices.Reverse(dims)
		r := gguf.RawTensor{Name: g, Dims: dims, Type: tt, Data: gguf.Quantize(tt, v)}
		raw[g] = r
		list = append(list, r)
	}
	list = append(list, ropeFactorTensors(m)...)
	path := filepath.Join(t.TempDir(), "model.gguf")
	if err := os.WriteFile(path, gguf.EncodeFile(version, alignment, kvs, list), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, raw
}

// TestQuantizedEquivalence: a checkpoint converted to GGUF with each tensor
// type gives, through the GGUF reader, (a) every tensor equal bit for bit to
// the independent element-wise dequantization of what was written (with
// the q/k permutation undone independently), and (b) filters bit-identical
// to those of a safetensors checkpoint holding those dequantized weights.
// K-quants need rows of 256, so they run on a synthetic Llama of hidden size
// 256 (GQA, so the k permutation uses the kv heads); the others on the
// llama2 (f16, permuted q/k) and qwen2 (bf16, q/k/v biases, tied embeddings)
// fixtures. Two cases use version 2 and a non-default alignment.
func TestQuantizedEquivalence(t *testing.T) {
	synth := synthLlama(t)
	cases := []struct {
		name      string
		src, arch string
		typ       gguf.Type
		version   uint32
		align     int
	}{
		{"llama2", fixture.Arch("llama2"), "llama", gguf.F16, 3, 0},
		{"llama2", fixture.Arch("llama2"), "llama", gguf.Q8_0, 2, 0},
		{"llama2", fixture.Arch("llama2"), "llama", gguf.Q4_0, 3, 64},
		{"qwen2", fixture.Arch("qwen2"), "qwen2", gguf.BF16, 3, 0},
		{"qwen2", fixture.Arch("qwen2"), "qwen2", gguf.Q8_0, 3, 0},
		{"qwen2", fixture.Arch("qwen2"), "qwen2", gguf.Q4_0, 3, 0},
		{"synth", synth, "llama", gguf.Q4_K, 3, 0},
		{"synth", synth, "llama", gguf.Q5_K, 3, 0},
		{"synth", synth, "llama", gguf.Q6_K, 3, 0},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s_%s", c.name, c.typ), func(t *testing.T) {
			hf := loadHF(t, c.src)
			path, raw := convert(t, hf, c.arch, c.typ, c.version, c.align)
			g, err := gguf.OpenModel(path)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			// (a) tensors: independent dequantization, permutation undone.
			var plain []safetensors.Tensor
			heads := hf.int("num_attention_heads", 0)
			kv := hf.int("num_key_value_heads", heads)
			for n, shape := range hf.shapes {
				r := raw[ggufName(c.arch, n)]
				rows, cols := shape[0], 1
				if len(shape) == 2 {
					cols = shape[1]
				}
				want := gguf.SpecDequantize(r.Type, r.Data, rows*cols)
				if c.arch == "llama" {
					if m := hfLayer.FindStringSubmatch(n); m != nil && m[2] == "self_attn.q_proj" {
						want = permuteRows(want, rows, cols, heads, true)
					} else if m != nil && m[2] == "self_attn.k_proj" {
						want = permuteRows(want, rows, cols, kv, true)
					}
				}
				got, err := g.Tensor(n)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got.Shape, shape) || got.DType != safetensors.F32 {
					t.Fatalf("%s: %s %v, want F32 %v", n, got.DType, got.Shape, shape)
				}
				gv, _ := got.Float32()
				for i := range gv {
					if math.Float32bits(gv[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s[%d] = %v, independent dequantization gives %v", n, i, gv[i], want[i])
					}
				}
				plain = append(plain, safetensors.Tensor{Name: n, DType: safetensors.F32, Shape: shape, Data: safetensors.EncodeFloat32(want)})
			}
			// (b) filters: the GGUF against the plain checkpoint of the same weights.
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "config.json"), hf.config, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), plain, nil); err != nil {
				t.Fatal(err)
			}
			seqs := storiesSeqs(hf.int("vocab_size", 0))
			want := calibrateOn(t, dir, seqs)
			got := calibrateOn(t, path, seqs)
			if !slices.Equal(got.QFilters, want.QFilters) || !slices.Equal(got.PerQueryHead, want.PerQueryHead) {
				t.Errorf("filters differ from the plain checkpoint's")
			}
		})
	}
}

// synthLlama writes a small Llama with every matrix's rows a multiple of
// 256 (what K-quants need): hidden 256, 4 heads of 64 with 2 kv heads, an
// MLP of 512, 2 layers, 320 tokens; random weights from a fixed seed.
func synthLlama(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := map[string]any{"model_type": "llama", "architectures": []string{"LlamaForCausalLM"},
		"hidden_size": 256, "intermediate_size": 512, "num_hidden_layers": 2, "num_attention_heads": 4,
		"num_key_value_heads": 2, "vocab_size": 320, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
		"max_position_embeddings": 2048, "tie_word_embeddings": false}
	b, _ := json.Marshal(cfg)
	os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
	rng := rand.New(rand.NewSource(7))
	var ts []safetensors.Tensor
	add := func(name string, scale, offset float64, shape ...int) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(offset + scale*rng.NormFloat64())
		}
		ts = append(ts, safetensors.Tensor{Name: name, DType: safetensors.F32, Shape: shape, Data: safetensors.EncodeFloat32(v)})
	}
	add("model.embed_tokens.weight", 1, 0, 320, 256)
	add("lm_head.weight", 0.06, 0, 320, 256)
	add("model.norm.weight", 0.1, 1, 256)
	for l := 0; l < 2; l++ {
		p := fmt.Sprintf("model.layers.%d.", l)
		add(p+"input_layernorm.weight", 0.1, 1, 256)
		add(p+"post_attention_layernorm.weight", 0.1, 1, 256)
		add(p+"self_attn.q_proj.weight", 0.06, 0, 256, 256)
		add(p+"self_attn.k_proj.weight", 0.06, 0, 128, 256)
		add(p+"self_attn.v_proj.weight", 0.06, 0, 128, 256)
		add(p+"self_attn.o_proj.weight", 0.06, 0, 256, 256)
		add(p+"mlp.gate_proj.weight", 0.06, 0, 512, 256)
		add(p+"mlp.up_proj.weight", 0.06, 0, 512, 256)
		add(p+"mlp.down_proj.weight", 0.04, 0, 256, 512)
	}
	if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// llamaConverted: the converter's LlamaModel (q/k rows permuted) writes
// these architectures.
func llamaConverted(arch string) bool {
	return arch == "llama" || arch == "smollm3" || arch == "granite" || arch == "granitemoe"
}

func epsKey(arch string) string {
	if arch == "gptneox" || arch == "cohere2" {
		return ".attention.layer_norm_epsilon"
	}
	return ".attention.layer_norm_rms_epsilon"
}

// archMetadata is what the converter writes beyond the common keys.
func archMetadata(m *hfModel, arch string) []gguf.KV {
	var kvs []gguf.KV
	if hd := m.int("head_dim", 0); hd > 0 {
		kvs = append(kvs, gguf.KV{Key: arch + ".attention.key_length", Val: uint32(hd)}, gguf.KV{Key: arch + ".attention.value_length", Val: uint32(hd)})
	}
	if w := m.int("sliding_window", 0); w > 0 {
		kvs = append(kvs, gguf.KV{Key: arch + ".attention.sliding_window", Val: uint32(w)})
	}
	for _, k := range []string{"attn_logit_softcapping", "final_logit_softcapping"} {
		if v := m.float(k, 0); v > 0 {
			kvs = append(kvs, gguf.KV{Key: arch + "." + k, Val: float32(v)})
		}
	}
	if rs, ok := m.cfg["rope_scaling"].(map[string]any); ok && arch != "gemma3" {
		switch typ, _ := rs["type"].(string); typ {
		case "linear", "yarn": // what the converter writes for them
			kvs = append(kvs, gguf.KV{Key: arch + ".rope.scaling.type", Val: typ}, gguf.KV{Key: arch + ".rope.scaling.factor", Val: float32(rs["factor"].(float64))})
			if o, ok := rs["original_max_position_embeddings"].(float64); ok {
				kvs = append(kvs, gguf.KV{Key: arch + ".rope.scaling.original_context_length", Val: uint32(o)})
			}
		}
	}
	switch arch {
	case "gemma3":
		kvs = append(kvs, gguf.KV{Key: arch + ".attention.sliding_window_pattern", Val: uint32(m.int("sliding_window_pattern", 6))})
		if rs, ok := m.cfg["rope_scaling"].(map[string]any); ok {
			kvs = append(kvs, gguf.KV{Key: arch + ".rope.scaling.type", Val: "linear"}, gguf.KV{Key: arch + ".rope.scaling.factor", Val: float32(rs["factor"].(float64))})
		}
	case "gptneox":
		kvs = append(kvs, gguf.KV{Key: arch + ".use_parallel_residual", Val: m.cfg["use_parallel_residual"] != false})
	case "olmo2": // Olmo2Model writes OLMo 3's sliding pattern
		if _, ok := m.cfg["sliding_window"].(float64); ok {
			pattern := make([]bool, m.int("num_hidden_layers", 0))
			for i := range pattern {
				pattern[i] = (i+1)%4 != 0
			}
			if lt, ok := m.cfg["layer_types"].([]any); ok {
				for i, t := range lt {
					pattern[i] = t == "sliding_attention"
				}
			}
			kvs = append(kvs, gguf.KV{Key: arch + ".attention.sliding_window_pattern", Val: pattern})
		}
	case "granite":
		for hf, gk := range map[string]string{"attention_multiplier": "attention.scale", "embedding_multiplier": "embedding_scale",
			"residual_multiplier": "residual_scale", "logits_scaling": "logit_scale"} {
			if v := m.float(hf, 0); v != 0 {
				kvs = append(kvs, gguf.KV{Key: arch + "." + gk, Val: float32(v)})
			}
		}
	case "cohere2":
		kvs = append(kvs, gguf.KV{Key: arch + ".logit_scale", Val: float32(m.float("logit_scale", 0.0625))})
	case "granitemoe", "llama4":
		kvs = append(kvs, gguf.KV{Key: arch + ".expert_count", Val: uint32(m.int("num_local_experts", 0))},
			gguf.KV{Key: arch + ".expert_used_count", Val: uint32(m.int("num_experts_per_tok", 0))})
		if arch == "llama4" { // Llama4Model.set_gguf_parameters
			kvs = append(kvs, gguf.KV{Key: arch + ".expert_feed_forward_length", Val: uint32(m.int("intermediate_size_moe", 0))},
				gguf.KV{Key: arch + ".interleave_moe_layer_step", Val: uint32(m.int("interleave_moe_layer_step", 1))})
		}
		for hf, gk := range map[string]string{"attention_multiplier": "attention.scale", "embedding_multiplier": "embedding_scale",
			"residual_multiplier": "residual_scale", "logits_scaling": "logit_scale"} {
			if v := m.float(hf, 0); v != 0 {
				kvs = append(kvs, gguf.KV{Key: arch + "." + gk, Val: float32(v)})
			}
		}
	case "glm4moe": // Glm4MoeModel.set_gguf_parameters
		kvs = append(kvs, gguf.KV{Key: arch + ".expert_count", Val: uint32(m.int("n_routed_experts", 0))},
			gguf.KV{Key: arch + ".expert_used_count", Val: uint32(m.int("num_experts_per_tok", 0))},
			gguf.KV{Key: arch + ".expert_feed_forward_length", Val: uint32(m.int("moe_intermediate_size", 0))},
			gguf.KV{Key: arch + ".expert_shared_count", Val: uint32(m.int("n_shared_experts", 0))},
			gguf.KV{Key: arch + ".leading_dense_block_count", Val: uint32(m.int("first_k_dense_replace", 0))},
			gguf.KV{Key: arch + ".expert_gating_func", Val: uint32(2)},
			gguf.KV{Key: arch + ".expert_weights_scale", Val: float32(m.float("routed_scaling_factor", 1))},
			gguf.KV{Key: arch + ".expert_weights_norm", Val: m.cfg["norm_topk_prob"] == true})
	case "phi3":
		if o := m.int("original_max_position_embeddings", 0); o > 0 {
			kvs = append(kvs, gguf.KV{Key: arch + ".rope.scaling.original_context_length", Val: uint32(o)})
		}
	}
	return kvs
}

// ropeFactorTensors are Phi-3's longrope factors as the converter writes
// them: F32 tensors rope_factors_long/short.
func ropeFactorTensors(m *hfModel) []gguf.RawTensor {
	rs, ok := m.cfg["rope_scaling"].(map[string]any)
	if ok && rs["rope_type"] == "llama3" {
		return []gguf.RawTensor{llama3Factors(m, rs)}
	}
	if !ok || rs["type"] != "longrope" && rs["rope_type"] != "longrope" {
		return nil
	}
	var out []gguf.RawTensor
	for _, k := range []string{"long", "short"} {
		var v []float32
		for _, x := range rs[k+"_factor"].([]any) {
			v = append(v, float32(x.(float64)))
		}
		out = append(out, gguf.RawTensor{Name: "rope_factors_" + k + ".weight", Dims: []int{len(v)}, Type: gguf.F32, Data: gguf.F32Bytes(v)})
	}
	return out
}

// TestArchitectures: each architecture fixture converted to an F32 GGUF as
// llama.cpp's converter would (names, Llama's q/k permutation, Gemma's 1+w
// norms, GPT-NeoX's split qkv, Phi-3's fused tensors and longrope factor
// tensors, Llama 3.1's rope_freqs, the metadata) gives back the fixture's
// config and the filters of the fixture checkpoint on its golden inputs.
func TestArchitectures(t *testing.T) {
	for _, c := range []struct {
		fixture, arch string
		inexact       bool
	}{
		{"llama2", "llama", false}, {"mistral", "llama", false}, {"qwen2", "qwen2", false}, {"qwen3", "qwen3", false},
		{"gemma2", "gemma2", false}, {"gemma3", "gemma3", false}, {"phi3_longrope", "phi3", false},
		{"phi4mini_partial", "phi3", false}, {"olmo2", "olmo2", false}, {"gpt_neox", "gptneox", false},
		{"rope_linear", "llama", false}, {"rope_yarn", "qwen2", false},
		// Llama 3.1's scaling travels as a rope_freqs tensor in float32 and
		// becomes per-frequency factors: the same frequencies up to rounding.
		{"llama31", "llama", true},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			dir := fixture.Arch(c.fixture)
			hf := loadHF(t, dir)
			path, _ := convert(t, hf, c.arch, gguf.F32, 3, 0)
			seqs := goldenIDs(t, dir)
			want := calibrateOn(t, dir, seqs)
			got := calibrateOn(t, path, seqs)
			d := got.HeadDim
			if got.Layers != want.Layers || got.KVHeads != want.KVHeads || d != want.HeadDim {
				t.Fatalf("geometry differs")
			}
			worst := 1.0
			for f := 0; f < got.Layers*got.KVHeads; f++ {
				worst = min(worst, cosine(got.QFilters[f*d:(f+1)*d], want.QFilters[f*d:(f+1)*d]))
			}
			// The weights and config are the same, so the filters are too:
			// bit for bit, or (rounded RoPE factors) to 1e-6.
			if same := slices.Equal(got.QFilters, want.QFilters); !same && (!c.inexact || worst < 1-1e-6) {
				t.Errorf("filters differ from the checkpoint's: worst cosine %.7f (negative: opposite sign)", worst)
			}
		})
	}
}

func goldenIDs(t *testing.T, dir string) [][]int {
	t.Helper()
	g, err := safetensors.Open(filepath.Join(dir, "golden.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ten, err := g.Tensor("input_ids")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := ten.Int64()
	n, seq := ten.Shape[0], ten.Shape[1]
	seqs := make([][]int, n)
	for s := range seqs {
		for _, v := range raw[s*seq : (s+1)*seq] {
			seqs[s] = append(seqs[s], int(v))
		}
	}
	return seqs
}

// llama3Factors is LlamaModel's rope_freqs tensor for Llama 3.1 scaling:
// per frequency, 1 (short wavelengths), factor (long ones) or the blend.
func llama3Factors(m *hfModel, rs map[string]any) gguf.RawTensor {
	hidden, heads := m.int("hidden_size", 0), m.int("num_attention_heads", 0)
	dim := m.int("head_dim", hidden/heads)
	base := m.float("rope_theta", 10000)
	factor, low, high := rs["factor"].(float64), rs["low_freq_factor"].(float64), rs["high_freq_factor"].(float64)
	old := rs["original_max_position_embeddings"].(float64)
	var v []float32
	for i := 0; i < dim; i += 2 {
		freq := 1 / math.Pow(base, float64(i)/float64(dim))
		wavelen := 2 * math.Pi / freq
		switch {
		case wavelen < old/high:
			v = append(v, 1)
		case wavelen > old/low:
			v = append(v, float32(factor))
		default:
			smooth := (old/wavelen - low) / (high - low)
			v = append(v, float32(1/((1-smooth)/factor+smooth)))
		}
	}
	return gguf.RawTensor{Name: "rope_freqs.weight", Dims: []int{len(v)}, Type: gguf.F32, Data: gguf.F32Bytes(v)}
}
