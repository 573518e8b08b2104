package gguf_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/gguf"
	"github.com/qfilters/qfilters/internal/fixture"
)

// TestQwenHybrids: the Qwen3-Next and Qwen 3.5 fixtures (dense and MoE,
// bare and wrapped) converted as llama.cpp's Qwen3NextModel /
// Qwen3_5TextModel / Qwen3_5MoeTextModel write them give the checkpoint's
// filters: norms stored 1 + w (but the DeltaNet's), A_log as -exp(A_log),
// dt_bias as ssm_dt.bias, conv1d squeezed, Qwen3-Next's in_proj_qkvz split
// into attn_qkv + attn_gate (or, in older files, kept whole as ssm_in),
// Qwen 3.5's value heads reordered to tiled order, experts stacked. A_log
// goes through float32 exp and log, so the filters are compared by cosine;
// every other weight comes back bit for bit.
func TestQwenHybrids(t *testing.T) {
	for _, c := range []struct {
		fixture, arch string
		legacyQKVZ    bool
	}{
		{"qwen3_next", "qwen3next", false}, {"qwen3_next", "qwen3next", true},
		{"qwen3_5_text", "qwen35", false}, {"qwen3_5", "qwen35", false},
		{"qwen3_5_moe_text", "qwen35moe", false}, {"qwen3_5_moe", "qwen35moe", false},
	} {
		t.Run(fmt.Sprintf("%s_legacy=%v", c.fixture, c.legacyQKVZ), func(t *testing.T) {
			dir := fixture.Arch(c.fixture)
			path := convertHybrid(t, dir, c.arch, c.legacyQKVZ)
			seqs := goldenIDs(t, dir)
			want := calibrateOn(t, dir, seqs)
			got := calibrateOn(t, path, seqs)
			if got.Layers != want.Layers || got.KVHeads != want.KVHeads || got.HeadDim != want.HeadDim ||
				len(got.QFilters) != len(want.QFilters) {
				t.Fatalf("geometry %d×%d×%d, want %d×%d×%d", got.Layers, got.KVHeads, got.HeadDim, want.Layers, want.KVHeads, want.HeadDim)
			}
			d := got.HeadDim
			worst := 1.0
			for f := 0; f < len(got.QFilters)/d; f++ {
				a, b := got.QFilters[f*d:(f+1)*d], want.QFilters[f*d:(f+1)*d]
				if !slices.ContainsFunc(b, func(x float32) bool { return x != 0 }) {
					if slices.ContainsFunc(a, func(x float32) bool { return x != 0 }) {
						t.Fatalf("filter %d: zero (no cache) in the checkpoint's, not in the GGUF's", f)
					}
					continue
				}
				worst = min(worst, cosine(a, b))
			}
			t.Logf("1 - worst cosine %.3g, identical %v", 1-worst, slices.Equal(got.QFilters, want.QFilters))
			if worst < 0.9999 {
				t.Errorf("filters differ from the checkpoint's: worst cosine %.7f (negative: opposite sign)", worst)
			}
		})
	}
}

var hfHybrid = regexp.MustCompile(`^model\.layers\.(\d+)\.(.+?)(?:\.(weight|bias))?$`)

// convertHybrid writes dir as an F32 GGUF of arch the way llama.cpp's
// converter does.
func convertHybrid(t *testing.T, dir, arch string, legacyQKVZ bool) string {
	t.Helper()
	hf := loadHF(t, dir)
	if tc, ok := hf.cfg["text_config"].(map[string]any); ok {
		hf.cfg = tc
	}
	for n := range hf.tensors { // the wrapper's names; the vision tower is skipped
		switch {
		case strings.HasPrefix(n, "model.language_model."):
			nn := "model." + strings.TrimPrefix(n, "model.language_model.")
			hf.put(nn, hf.tensors[n], hf.shapes[n]...)
			hf.drop(n)
		case strings.HasPrefix(n, "model.visual."):
			hf.drop(n)
		}
	}
	mergeExperts(hf)
	cfg := hf.cfg
	num := func(k string) int { return hf.int(k, 0) }
	K, V, dk, dv := num("linear_num_key_heads"), num("linear_num_value_heads"), num("linear_key_head_dim"), num("linear_value_head_dim")
	r := V / K
	headDim := num("head_dim")
	partial := hf.float("partial_rotary_factor", 0.25)
	if rp, ok := cfg["rope_parameters"].(map[string]any); ok {
		if p, ok := rp["partial_rotary_factor"].(float64); ok {
			partial = p
		}
		if th, ok := rp["rope_theta"].(float64); ok {
			cfg["rope_theta"] = th
		}
	}
	kvs := []gguf.KV{
		{Key: "general.architecture", Val: arch},
		{Key: arch + ".block_count", Val: uint32(num("num_hidden_layers"))},
		{Key: arch + ".context_length", Val: uint32(num("max_position_embeddings"))},
		{Key: arch + ".embedding_length", Val: uint32(num("hidden_size"))},
		{Key: arch + ".attention.head_count", Val: uint32(num("num_attention_heads"))},
		{Key: arch + ".attention.head_count_kv", Val: uint32(num("num_key_value_heads"))},
		{Key: arch + ".attention.key_length", Val: uint32(headDim)},
		{Key: arch + ".attention.value_length", Val: uint32(headDim)},
		{Key: arch + ".attention.layer_norm_rms_epsilon", Val: float32(hf.float("rms_norm_eps", 1e-6))},
		{Key: arch + ".rope.freq_base", Val: float32(hf.float("rope_theta", 10000))},
		{Key: arch + ".rope.dimension_count", Val: uint32(float64(headDim) * partial)},
		{Key: arch + ".vocab_size", Val: uint32(num("vocab_size"))},
		{Key: arch + ".ssm.conv_kernel", Val: uint32(num("linear_conv_kernel_dim"))},
		{Key: arch + ".ssm.state_size", Val: uint32(dk)},
		{Key: arch + ".ssm.group_count", Val: uint32(K)},
		{Key: arch + ".ssm.time_step_rank", Val: uint32(V)},
		{Key: arch + ".ssm.inner_size", Val: uint32(V * dv)},
		{Key: arch + ".full_attention_interval", Val: uint32(hf.int("full_attention_interval", 4))},
	}
	if ff := num("intermediate_size"); ff > 0 {
		kvs = append(kvs, gguf.KV{Key: arch + ".feed_forward_length", Val: uint32(ff)})
	}
	if e := num("num_experts"); e > 0 {
		kvs = append(kvs, gguf.KV{Key: arch + ".expert_count", Val: uint32(e)},
			gguf.KV{Key: arch + ".expert_used_count", Val: uint32(num("num_experts_per_tok"))},
			gguf.KV{Key: arch + ".expert_feed_forward_length", Val: uint32(num("moe_intermediate_size"))},
			gguf.KV{Key: arch + ".expert_shared_feed_forward_length", Val: uint32(num("shared_expert_intermediate_size"))})
	}
	if arch != "qwen3next" { // _Qwen35MRopeMixin
		sec := []int32{11, 11, 10, 0}
		if rp, ok := cfg["rope_parameters"].(map[string]any); ok {
			if s, ok := rp["mrope_section"].([]any); ok {
				sec = sec[:0]
				for _, x := range s {
					sec = append(sec, int32(x.(float64)))
				}
				for len(sec) < 4 {
					sec = append(sec, 0)
				}
			}
		}
		kvs = append(kvs, gguf.KV{Key: arch + ".rope.dimension_sections", Val: sec})
	}
	roles := map[string]string{
		"input_layernorm": "attn_norm", "post_attention_layernorm": "post_attention_norm",
		"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
		"self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm",
		"mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down",
		"mlp.gate": "ffn_gate_inp", "mlp.experts.gate_proj": "ffn_gate_exps", "mlp.experts.up_proj": "ffn_up_exps",
		"mlp.experts.down_proj": "ffn_down_exps", "mlp.shared_expert.gate_proj": "ffn_gate_shexp",
		"mlp.shared_expert.up_proj": "ffn_up_shexp", "mlp.shared_expert.down_proj": "ffn_down_shexp",
		"mlp.shared_expert_gate":  "ffn_gate_inp_shexp",
		"linear_attn.in_proj_qkv": "attn_qkv", "linear_attn.in_proj_z": "attn_gate", "linear_attn.in_proj_b": "ssm_beta",
		"linear_attn.in_proj_a": "ssm_alpha", "linear_attn.conv1d": "ssm_conv1d", "linear_attn.norm": "ssm_norm",
		"linear_attn.out_proj": "ssm_out", "linear_attn.in_proj_ba": "ssm_ba", "linear_attn.in_proj_qkvz": "ssm_in",
	}
	// _reorder_v_heads: grouped (k·r + j) to tiled (j·K + k), heads of hd rows.
	tile := func(v []float32, hd, cols int) []float32 {
		out := make([]float32, len(v))
		for k := 0; k < K; k++ {
			for j := 0; j < r; j++ {
				src, dst := (k*r+j)*hd*cols, (j*K+k)*hd*cols
				copy(out[dst:dst+hd*cols], v[src:src+hd*cols])
			}
		}
		return out
	}
	reorder := arch != "qwen3next" && K != V
	var list []gguf.RawTensor
	put := func(name string, v []float32, shape ...int) {
		dims := slices.Clone(shape)
		slices.Reverse(dims)
		list = append(list, gguf.RawTensor{Name: name, Dims: dims, Type: gguf.F32, Data: gguf.F32Bytes(v)})
	}
	names := make([]string, 0, len(hf.tensors))
	for n := range hf.tensors {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		v, sh := slices.Clone(hf.tensors[n]), hf.shapes[n]
		if strings.HasSuffix(n, "norm.weight") && !strings.HasSuffix(n, "linear_attn.norm.weight") {
			for i := range v {
				v[i]++
			}
		}
		switch n {
		case "model.embed_tokens.weight":
			put("token_embd.weight", v, sh...)
			continue
		case "model.norm.weight":
			put("output_norm.weight", v, sh...)
			continue
		case "lm_head.weight":
			put("output.weight", v, sh...)
			continue
		}
		m := hfHybrid.FindStringSubmatch(n)
		if m == nil {
			t.Fatalf("unexpected tensor %s", n)
		}
		blk, role, suffix := "blk."+m[1]+".", m[2], m[3]
		cols := 1
		for _, s := range sh[1:] {
			cols *= s
		}
		qk := 2 * K * dk
		if reorder && strings.HasPrefix(role, "linear_attn.") {
			switch role {
			case "linear_attn.in_proj_qkv", "linear_attn.conv1d":
				copy(v[qk*cols:], tile(v[qk*cols:], dv, cols))
			case "linear_attn.in_proj_z":
				v = tile(v, dv, cols)
			case "linear_attn.in_proj_a", "linear_attn.in_proj_b", "linear_attn.A_log", "linear_attn.dt_bias":
				v = tile(v, 1, cols)
			case "linear_attn.out_proj": // columns
				rows := sh[0]
				tr := make([]float32, len(v))
				for i := 0; i < rows; i++ {
					for j := 0; j < cols; j++ {
						tr[j*rows+i] = v[i*cols+j]
					}
				}
				tr = tile(tr, dv, rows)
				for i := 0; i < rows; i++ {
					for j := 0; j < cols; j++ {
						v[i*cols+j] = tr[j*rows+i]
					}
				}
			}
		}
		switch role {
		case "linear_attn.A_log":
			for i, x := range v {
				v[i] = float32(-math.Exp(float64(x)))
			}
			put(blk+"ssm_a", v, sh...)
			continue
		case "linear_attn.dt_bias":
			put(blk+"ssm_dt.bias", v, sh...)
			continue
		case "linear_attn.conv1d":
			put(blk+"ssm_conv1d.weight", v, sh[0], sh[2])
			continue
		case "linear_attn.in_proj_qkvz":
			if legacyQKVZ {
				break
			}
			group := 2*dk + 2*r*dv
			var q, k, vv, z []float32
			for g := 0; g < K; g++ {
				base := g * group * cols
				q = append(q, v[base:base+dk*cols]...)
				k = append(k, v[base+dk*cols:base+2*dk*cols]...)
				vv = append(vv, v[base+2*dk*cols:base+(2*dk+r*dv)*cols]...)
				z = append(z, v[base+(2*dk+r*dv)*cols:base+group*cols]...)
			}
			qkv := append(append(q, k...), vv...)
			put(blk+"attn_qkv.weight", qkv, len(qkv)/cols, cols)
			put(blk+"attn_gate.weight", z, len(z)/cols, cols)
			continue
		}
		g, ok := roles[role]
		if !ok {
			t.Fatalf("no GGUF name for %s", n)
		}
		put(blk+g+"."+suffix, v, sh...)
	}
	path := filepath.Join(t.TempDir(), "model.gguf")
	if err := os.WriteFile(path, gguf.EncodeFile(3, 0, kvs, list), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
