package gguf

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Qwen3-Next and Qwen 3.5 (dense and MoE) as llama.cpp's converter
// (Qwen3NextModel, and _LinearAttentionVReorderBase for Qwen 3.5) writes
// them:
//   - every norm weight but the DeltaNet's own (ssm_norm) stored as 1 + w;
//   - A_log stored as ssm_a = -exp(A_log) (a name without .weight), dt_bias
//     as ssm_dt.bias, conv1d squeezed to [channels][kernel];
//   - Qwen3-Next's in_proj_qkvz, whose rows are grouped by key head
//     ([q, k, v, z] per group), split into attn_qkv ([all q; all k; all v])
//     and attn_gate (all z); older files keep it whole as ssm_in; in_proj_ba
//     kept whole as ssm_ba;
//   - Qwen 3.5 (when there are more value heads than key heads): the value
//     heads reordered from grouped by key head (k·r + j) to tiled (j·K + k)
//     in the v rows of attn_qkv, attn_gate (in_proj_z), ssm_beta / ssm_alpha
//     (in_proj_b / in_proj_a), ssm_a, ssm_dt, the v channels of ssm_conv1d
//     and the columns of ssm_out;
//   - experts stacked into ffn_{gate,up,down}_exps, the shared expert as
//     ffn_*_shexp and its gate as ffn_gate_inp_shexp.
// RoPE is NEOX-style (Qwen 3.5's interleaved M-RoPE is the same for text
// positions), so attn_q/attn_k are not permuted. We undo each of these.

var hybridBlock = with(llamaBlock, "ffn_norm", "", "post_attention_norm", "post_attention_layernorm",
	"ssm_conv1d", "linear_attn.conv1d", "ssm_dt", "linear_attn.dt_bias", "ssm_a", "linear_attn.A_log",
	"ssm_norm", "linear_attn.norm", "ssm_out", "linear_attn.out_proj")

var hybridMoE = []string{"ffn_gate_inp", "mlp.gate",
	"ffn_gate_shexp", "mlp.shared_expert.gate_proj", "ffn_up_shexp", "mlp.shared_expert.up_proj",
	"ffn_down_shexp", "mlp.shared_expert.down_proj", "ffn_gate_inp_shexp", "mlp.shared_expert_gate"}

var hybridBare = map[string]bool{"ssm_dt": true, "ssm_a": true}

func init() {
	archs["qwen3next"] = &arch{modelType: "qwen3_next", class: "Qwen3NextForCausalLM", layer: "model.layers.%d.", top: llamaTop,
		block: with(hybridBlock, append([]string{"ssm_in", "linear_attn.in_proj_qkvz", "ssm_ba", "linear_attn.in_proj_ba"},
			hybridMoE...)...),
		normShift: true, deltaNet: true, experts: splitExperts("mlp.experts.%d."), bare: hybridBare}
	qwen35 := with(hybridBlock, "attn_qkv", "linear_attn.in_proj_qkv", "attn_gate", "linear_attn.in_proj_z",
		"ssm_beta", "linear_attn.in_proj_b", "ssm_alpha", "linear_attn.in_proj_a")
	archs["qwen35"] = &arch{modelType: "qwen3_5_text", class: "Qwen3_5ForCausalLM", layer: "model.layers.%d.", top: llamaTop,
		block: qwen35, normShift: true, deltaNet: true, tiledV: true, bare: hybridBare}
	archs["qwen35moe"] = &arch{modelType: "qwen3_5_moe_text", class: "Qwen3_5MoeForCausalLM", layer: "model.layers.%d.", top: llamaTop,
		block: with(qwen35, hybridMoE...), normShift: true, deltaNet: true, tiledV: true,
		experts: splitExperts("mlp.experts.%d."), bare: hybridBare}
}

// deltaSizes are a file's Gated DeltaNet sizes (llama.cpp's ssm.* keys).
type deltaSizes struct {
	kHeads, vHeads, kDim, vDim, kernel int
}

func (m *Model) readDeltaSizes() error {
	g, key := m.file, func(k string) string { return m.archName + "." + k }
	var err error
	get := func(k string) int {
		v, e := g.intKey(key(k), -1)
		if e == nil && v <= 0 {
			e = fmt.Errorf("metadata %s is missing", key(k))
		}
		if err == nil {
			err = e
		}
		return v
	}
	d := deltaSizes{kernel: get("ssm.conv_kernel"), kDim: get("ssm.state_size"), kHeads: get("ssm.group_count"),
		vHeads: get("ssm.time_step_rank")}
	inner := get("ssm.inner_size")
	if err != nil {
		return err
	}
	if inner%d.vHeads != 0 || d.vHeads%d.kHeads != 0 {
		return fmt.Errorf("metadata %s = %d, %s = %d, %s = %d: value heads must split the inner size and be a multiple of the key heads",
			key("ssm.inner_size"), inner, key("ssm.time_step_rank"), d.vHeads, key("ssm.group_count"), d.kHeads)
	}
	d.vDim = inner / d.vHeads
	m.delta = d
	return nil
}

// hybridConfig writes Qwen3NextConfig / Qwen3_5TextConfig's keys: the
// DeltaNet sizes, which layers are full attention (those with attn_q; the
// converter writes full_attention_interval as 4 when the checkpoint's config
// has only layer_types, so the tensors decide, and the interval only for a
// layer with neither kind of tensor), the experts, and the
// layers whose MLP is dense (mlp_only_layers: those with ffn_up and no
// router).
func (m *Model) hybridConfig(c map[string]any, key func(string) string, layers int) error {
	d := m.delta
	c["linear_conv_kernel_dim"], c["linear_key_head_dim"], c["linear_value_head_dim"] = d.kernel, d.kDim, d.vDim
	c["linear_num_key_heads"], c["linear_num_value_heads"] = d.kHeads, d.vHeads
	every, err := m.file.intKey(key("full_attention_interval"), 4)
	if err != nil {
		return err
	}
	if every <= 0 {
		return fmt.Errorf("metadata %s = %d must be positive", key("full_attention_interval"), every)
	}
	types := repeat("linear_attention", layers)
	for i := range types {
		switch {
		case m.has(fmt.Sprintf("blk.%d.attn_q.weight", i)):
			types[i] = "full_attention"
		case m.has(fmt.Sprintf("blk.%d.ssm_out.weight", i)):
		case (i+1)%every == 0:
			types[i] = "full_attention"
		}
	}
	c["layer_types"] = types
	if c["partial_rotary_factor"] == nil {
		c["partial_rotary_factor"] = 1.0
	}
	if m.arch.experts == nil {
		return nil
	}
	if err := m.moeCounts(c, key, "num_experts"); err != nil {
		return err
	}
	for _, k := range []struct{ gguf, hf string }{{"expert_feed_forward_length", "moe_intermediate_size"},
		{"expert_shared_feed_forward_length", "shared_expert_intermediate_size"}} {
		v, err := m.file.intKey(key(k.gguf), -1)
		if err != nil {
			return err
		}
		if v <= 0 {
			return fmt.Errorf("metadata %s is missing", key(k.gguf))
		}
		c[k.hf] = v
	}
	c["norm_topk_prob"] = true // llama.cpp renormalizes the top-k weights of these
	var dense []int
	for l := 0; l < layers; l++ {
		if !m.has(fmt.Sprintf("blk.%d.ffn_gate_inp.weight", l)) && m.has(fmt.Sprintf("blk.%d.ffn_up.weight", l)) {
			dense = append(dense, l)
		}
	}
	if len(dense) > 0 {
		c["mlp_only_layers"] = dense
	}
	return nil
}

var blockRole = regexp.MustCompile(`^blk\.\d+\.([a-z0-9_]+)(?:\.weight|\.bias)?$`)

var bareBlock = regexp.MustCompile(`^blk\.(\d+)\.([a-z0-9_]+)$`)

// bareHFName maps a block tensor written without .weight/.bias (ssm_a).
func (a *arch) bareHFName(name string) (string, bool) {
	b := bareBlock.FindStringSubmatch(name)
	if b == nil || !a.bare[b[2]] {
		return "", false
	}
	role, ok := a.block[b[2]]
	if !ok {
		return "", false
	}
	l, err := strconv.Atoi(b[1])
	if err != nil || l > 1<<16 {
		return "", false
	}
	return fmt.Sprintf(a.layer, l) + role, true
}

// hybridShape is the Hugging Face shape of a DeltaNet tensor whose GGUF
// shape differs beyond the reversal: conv1d [C][1][K] (squeezed to [C][K])
// and the shared expert's gate [1][H] (when written as a vector).
func (m *Model) hybridShape(name string, shape []int) []int {
	switch {
	case strings.HasSuffix(name, ".ssm_conv1d.weight") && len(shape) == 2:
		return []int{shape[0], 1, shape[1]}
	case strings.HasSuffix(name, ".ffn_gate_inp_shexp.weight") && len(shape) == 1:
		return []int{1, shape[0]}
	}
	return shape
}

// restoreHybrid undoes the converter's DeltaNet changes to one tensor (v nil:
// only check that they apply); done false when the tensor is not one of them.
func (m *Model) restoreHybrid(name string, v []float32, shape []int) (out []float32, done bool, err error) {
	d := m.delta
	rows := shape[0]
	cols := len(v) / max(rows, 1)
	if v == nil {
		cols = 1
		for _, s := range shape[1:] {
			cols *= s
		}
	}
	qk := 2 * d.kHeads * d.kDim
	vRows := d.vHeads * d.vDim
	rm := blockRole.FindStringSubmatch(name)
	if rm == nil {
		return v, false, nil
	}
	role := rm[1]
	untile := func(first, n, hd int) error {
		if first+n > rows || n != d.vHeads*hd {
			return fmt.Errorf("tensor %s: %d rows, expected %d value rows from row %d", name, rows, d.vHeads*hd, first)
		}
		if v != nil && m.arch.tiledV {
			untileRows(v[first*cols:(first+n)*cols], d.kHeads, d.vHeads/d.kHeads, hd, cols)
		}
		return nil
	}
	switch role {
	case "ssm_a": // -exp(A_log)
		if err := untile(0, d.vHeads, 1); err != nil {
			return nil, true, err
		}
		for i, x := range v {
			v[i] = float32(math.Log(-float64(x)))
		}
		return v, true, nil
	case "ssm_dt", "ssm_beta", "ssm_alpha":
		return v, true, untile(0, d.vHeads, 1)
	case "attn_gate":
		return v, true, untile(0, vRows, d.vDim)
	case "ssm_conv1d":
		return v, true, untile(qk, vRows, d.vDim)
	case "attn_qkv":
		if !m.arch.tiledV {
			return v, false, nil // Qwen3-Next's: rebuilt into in_proj_qkvz
		}
		return v, true, untile(qk, vRows, d.vDim)
	case "ssm_out": // the columns
		if cols != vRows {
			return nil, true, fmt.Errorf("tensor %s: %d columns, expected %d", name, cols, vRows)
		}
		if v != nil && m.arch.tiledV {
			t := transpose(v, rows, cols)
			untileRows(t, d.kHeads, d.vHeads/d.kHeads, d.vDim, rows)
			copy(v, transpose(t, cols, rows))
		}
		return v, true, nil
	}
	return v, false, nil
}

// untileRows puts n = K·r heads of hd rows (each of cols values) from tiled
// order (head j·K + k at position j·K + k) back into grouped order (k·r + j).
func untileRows(v []float32, K, r, hd, cols int) {
	out := make([]float32, len(v))
	for k := 0; k < K; k++ {
		for j := 0; j < r; j++ {
			src, dst := (j*K+k)*hd*cols, (k*r+j)*hd*cols
			copy(out[dst:dst+hd*cols], v[src:src+hd*cols])
		}
	}
	copy(v, out)
}

func transpose(v []float32, rows, cols int) []float32 {
	out := make([]float32, len(v))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			out[c*rows+r] = v[r*cols+c]
		}
	}
	return out
}

// addQKVZ registers, for a Qwen3-Next file whose in_proj_qkvz the converter
// split into attn_qkv and attn_gate, the fused tensor rebuilt: per key head
// g, [q_g (dk); k_g (dk); v_g (r·dv); z_g (r·dv)].
func (m *Model) addQKVZ() error {
	if m.archName != "qwen3next" {
		return nil
	}
	d := m.delta
	r := d.vHeads / d.kHeads
	for _, t := range m.file.tensors {
		b := blockName.FindStringSubmatch(t.Name)
		if b == nil || b[2] != "attn_qkv" || b[3] != "weight" {
			continue
		}
		l, err := strconv.Atoi(b[1])
		if err != nil || l > 1<<16 {
			continue
		}
		z, ok := m.file.Tensor(fmt.Sprintf("blk.%d.attn_gate.weight", l))
		if !ok {
			return fmt.Errorf("tensor %s without blk.%d.attn_gate.weight (the converter splits in_proj_qkvz into both)", t.Name, l)
		}
		for _, x := range []TensorInfo{t, z} {
			if !x.Type.Supported() {
				return fmt.Errorf("tensor %s has type %s, which qfilters cannot dequantize (supported: %s)", x.Name, x.Type, supportedList())
			}
		}
		qkvRows, vRows := 2*d.kHeads*d.kDim+d.vHeads*d.vDim, d.vHeads*d.vDim
		if len(t.Dims) != 2 || len(z.Dims) != 2 || t.Dims[1] != qkvRows || z.Dims[1] != vRows || t.Dims[0] != z.Dims[0] {
			return fmt.Errorf("tensors %s %v and %s %v: expected [hidden, %d] and [hidden, %d]", t.Name, t.Dims, z.Name, z.Dims, qkvRows, vRows)
		}
		cols := t.Dims[0]
		qkv, gate := t, z
		name := fmt.Sprintf(m.arch.layer, l) + "linear_attn.in_proj_qkvz.weight"
		m.synth[name] = builtTensor{shape: []int{qkvRows + vRows, cols}, build: func() ([]float32, error) {
			a, err := m.file.Float32(qkv)
			if err != nil {
				return nil, err
			}
			zz, err := m.file.Float32(gate)
			if err != nil {
				return nil, err
			}
			K, dk, dv := d.kHeads, d.kDim, d.vDim
			out := make([]float32, 0, len(a)+len(zz))
			for g := 0; g < K; g++ {
				out = append(out, a[g*dk*cols:(g+1)*dk*cols]...)                       // q_g
				out = append(out, a[(K+g)*dk*cols:(K+g+1)*dk*cols]...)                 // k_g
				out = append(out, a[(2*K*dk+g*r*dv)*cols:(2*K*dk+(g+1)*r*dv)*cols]...) // v_g
				out = append(out, zz[g*r*dv*cols:(g+1)*r*dv*cols]...)                  // z_g
			}
			return out, nil
		}}
		m.names = append(m.names, name)
	}
	return nil
}

// builtTensor is a Hugging Face tensor made from several GGUF tensors.
type builtTensor struct {
	shape []int
	build func() ([]float32, error)
}
