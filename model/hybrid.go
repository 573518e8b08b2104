package model

import (
	"fmt"
	"math"
	"strings"
)

// Hybrid-attention families: Qwen3-Next and Qwen 3.5 (dense and MoE). Three
// layers in four (layer_types, or full_attention_interval) are Gated
// DeltaNet linear attention (deltanet.go) with no KV cache; the others are
// full attention with q/k RMSNorm, partial rotary and a sigmoid gate on the
// attention output carried by q_proj. Every RMSNorm but the DeltaNet's
// gated one scales by (1 + w). The MoE variants add a shared expert.

// deltaNetNames are a family's Gated DeltaNet tensors, under the layer
// prefix. Qwen3-Next fuses the input projections per key-head group
// (in_proj_qkvz, in_proj_ba); Qwen 3.5 keeps them apart.
type deltaNetNames struct {
	prefix     string // "linear_attn."
	fused      bool
	qkvz, ba   string // fused
	qkv, z     string // separate
	b, a       string
	conv, norm string
	aLog, dt   string
	out        string
}

var qwen3NextDelta = deltaNetNames{prefix: "linear_attn.", fused: true, qkvz: "in_proj_qkvz", ba: "in_proj_ba",
	conv: "conv1d.weight", norm: "norm", aLog: "A_log", dt: "dt_bias", out: "out_proj"}

var qwen35Delta = deltaNetNames{prefix: "linear_attn.", qkv: "in_proj_qkv", z: "in_proj_z", b: "in_proj_b", a: "in_proj_a",
	conv: "conv1d.weight", norm: "norm", aLog: "A_log", dt: "dt_bias", out: "out_proj"}

// hybridDefaults are Qwen3NextConfig's (and its Qwen 3.5 subclasses')
// behaviour defaults: partial_rotary_factor is set to 0.25 when absent.
var hybridDefaults = map[string]any{"partial_rotary_factor": 0.25}

var qwen3NextFamily = func() *family {
	f := *qwen3MoEFamily
	f.modelTypes = []string{"qwen3_next"}
	f.norm = rmsNormPlusOne
	f.sharedExpert, f.sharedExpertGate = "mlp.shared_expert.", "mlp.shared_expert_gate"
	f.linearAttn, f.attnGate, f.deltaNet = true, true, qwen3NextDelta
	f.normTopKDefault = true
	f.classDefaults = hybridDefaults
	return &f
}()

var qwen35Family = func() *family {
	f := *qwen3Family
	f.modelTypes = []string{"qwen3_5_text"}
	f.norm = rmsNormPlusOne
	f.linearAttn, f.attnGate, f.deltaNet = true, true, qwen35Delta
	f.classDefaults = hybridDefaults
	return &f
}()

var qwen35MoEFamily = func() *family {
	f := *qwen35Family
	f.modelTypes = []string{"qwen3_5_moe_text"}
	f.router = "mlp.gate"
	f.expert = "mlp.experts.%d."
	f.expertGate, f.expertUp, f.expertDn = "gate_proj", "up_proj", "down_proj"
	f.sharedExpert, f.sharedExpertGate = "mlp.shared_expert.", "mlp.shared_expert_gate"
	f.normTopKDefault = true
	return &f
}()

func init() {
	register(qwen3NextFamily)
	register(qwen35Family)
	register(qwen35MoEFamily)
	wrapperText["qwen3_5"] = "qwen3_5_text"         // Qwen3_5ForConditionalGeneration
	wrapperText["qwen3_5_moe"] = "qwen3_5_moe_text" // Qwen3_5MoeForConditionalGeneration
	// Qwen3NextConfig's, Qwen3_5TextConfig's and Qwen3_5MoeTextConfig's sizes, for a
	// text_config saved as a diff against them.
	textDefaults["qwen3_next"] = map[string]any{"vocab_size": 151936.0, "hidden_size": 2048.0,
		"intermediate_size": 5632.0, "num_hidden_layers": 48.0, "num_attention_heads": 16.0, "num_key_value_heads": 2.0,
		"head_dim": 256.0, "max_position_embeddings": 32768.0, "rms_norm_eps": 1e-6, "linear_conv_kernel_dim": 4.0,
		"linear_key_head_dim": 128.0, "linear_value_head_dim": 128.0, "linear_num_key_heads": 16.0,
		"linear_num_value_heads": 32.0, "moe_intermediate_size": 512.0, "shared_expert_intermediate_size": 512.0,
		"num_experts_per_tok": 10.0, "num_experts": 512.0}
	textDefaults["qwen3_5_text"] = map[string]any{"vocab_size": 248320.0, "hidden_size": 4096.0,
		"intermediate_size": 12288.0, "num_hidden_layers": 32.0, "num_attention_heads": 16.0, "num_key_value_heads": 4.0,
		"head_dim": 256.0, "max_position_embeddings": 32768.0, "rms_norm_eps": 1e-6, "linear_conv_kernel_dim": 4.0,
		"linear_key_head_dim": 128.0, "linear_value_head_dim": 128.0, "linear_num_key_heads": 16.0,
		"linear_num_value_heads": 32.0}
	textDefaults["qwen3_5_moe_text"] = map[string]any{"vocab_size": 248320.0, "hidden_size": 2048.0,
		"num_hidden_layers": 40.0, "num_attention_heads": 16.0, "num_key_value_heads": 2.0, "head_dim": 256.0,
		"max_position_embeddings": 32768.0, "rms_norm_eps": 1e-6, "linear_conv_kernel_dim": 4.0,
		"linear_key_head_dim": 128.0, "linear_value_head_dim": 128.0, "linear_num_key_heads": 16.0,
		"linear_num_value_heads": 32.0, "moe_intermediate_size": 512.0, "shared_expert_intermediate_size": 512.0,
		"num_experts_per_tok": 8.0, "num_experts": 256.0}
}

// isHybrid reports whether model_type mt has linear-attention layers.
func isHybrid(mt string) bool {
	f, err := familyFor(mt, "")
	return err == nil && f.linearAttn
}

// hybridLayerTypes is Qwen3NextConfig's rule when layer_types is absent:
// every full_attention_interval-th layer (default 4) is full attention.
func hybridLayerTypes(r *reader, layers int) ([]string, error) {
	every := r.int("full_attention_interval", 4)
	if every <= 0 {
		return nil, fmt.Errorf("full_attention_interval must be positive, got %d", every)
	}
	types := make([]string, layers)
	for i := range types {
		types[i] = "linear_attention"
		if (i+1)%every == 0 {
			types[i] = "full_attention"
		}
	}
	return types, nil
}

// parseHybrid reads the Gated DeltaNet sizes and applies what the Qwen 3.5
// MoE config class implies: no dense MLP size (its experts' is used for
// the size checks), every layer MoE, top-k weights always renormalized.
func (c *Config) parseHybrid(r *reader) {
	c.DeltaNet = DeltaNetConfig{
		KeyHeads:   r.int("linear_num_key_heads", 0),
		ValueHeads: r.int("linear_num_value_heads", 0),
		KeyDim:     r.int("linear_key_head_dim", 0),
		ValueDim:   r.int("linear_value_head_dim", 0),
		ConvKernel: r.int("linear_conv_kernel_dim", 0),
	}
	if c.ModelType == "qwen3_5_moe_text" {
		if c.Intermediate == 0 {
			c.Intermediate = c.ExpertIntermediate
		}
		c.NormTopK, c.DecoderSparseStep, c.MLPOnlyLayers = true, 1, nil
	}
}

// checkHybrid checks the Gated DeltaNet sizes of a model that has
// linear-attention layers.
func (c *Config) checkHybrid() error {
	n := 0
	for _, lin := range c.Linear {
		if lin {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	d := c.DeltaNet
	for _, f := range []struct {
		name   string
		v, max int
	}{{"linear_num_key_heads", d.KeyHeads, 1 << 10}, {"linear_num_value_heads", d.ValueHeads, 1 << 10},
		{"linear_key_head_dim", d.KeyDim, 1 << 12}, {"linear_value_head_dim", d.ValueDim, 1 << 12},
		{"linear_conv_kernel_dim", d.ConvKernel, 64}} {
		if f.v <= 0 || f.v > f.max {
			return fmt.Errorf("%s = %d: a model with linear_attention layers needs it in 1..%d", f.name, f.v, f.max)
		}
	}
	if d.ValueHeads%d.KeyHeads != 0 {
		return fmt.Errorf("linear_num_value_heads %d is not a multiple of linear_num_key_heads %d", d.ValueHeads, d.KeyHeads)
	}
	return nil
}

// HasCache reports whether layer l writes a KV cache (and so has queries,
// keys and a filter): every layer but the linear-attention ones.
func (c *Config) HasCache(l int) bool { return l < len(c.Linear) && !c.Linear[l] || len(c.Linear) == 0 }

// Uniform reports whether every layer has the same cache (the filter file
// then needs no per-layer map).
func (c *Config) Uniform() bool {
	for l := 0; l < c.Layers; l++ {
		if !c.HasCache(l) {
			return false
		}
	}
	return true
}

// loadDeltaNet reads layer l's Gated DeltaNet. It refuses a layer that
// holds the tensors of full attention: the config's layer_types and the
// checkpoint disagree.
func (m *Model) loadDeltaNet(l int) (*deltaNet, error) {
	c, f := m.Config, m.fam
	dn := f.deltaNet
	name := func(role string) string { return f.layerName(l, dn.prefix+role) }
	if q := f.layerName(l, f.q) + ".weight"; hasTensor(m.ckpt, q) {
		return nil, fmt.Errorf("checkpoint %s: layer_types says linear_attention but it has %s (a full-attention layer)", m.Dir, q)
	}
	d := c.DeltaNet
	vw := d.ValueHeads * d.ValueDim
	cd := d.convDim()
	net := &deltaNet{cfg: d, eps: c.NormEps}
	var err error
	if dn.fused {
		if net.in, err = m.fusedDeltaInput(name(dn.qkvz), name(dn.ba), d); err != nil {
			return nil, err
		}
	} else {
		var qkv, z, b, a *linear
		if qkv, err = m.linear(name(dn.qkv), cd, c.Hidden, false); err != nil {
			return nil, err
		}
		if z, err = m.linear(name(dn.z), vw, c.Hidden, false); err != nil {
			return nil, err
		}
		if b, err = m.linear(name(dn.b), d.ValueHeads, c.Hidden, false); err != nil {
			return nil, err
		}
		if a, err = m.linear(name(dn.a), d.ValueHeads, c.Hidden, false); err != nil {
			return nil, err
		}
		net.in = func(x []float32, rows int) (q, zz, bb, aa []float32) {
			return qkv.apply(x, rows), z.apply(x, rows), b.apply(x, rows), a.apply(x, rows)
		}
	}
	if net.conv, err = m.tensorF32(name(dn.conv), cd, 1, d.ConvKernel); err != nil {
		return nil, err
	}
	if net.aLog, err = m.vector(name(dn.aLog), d.ValueHeads); err != nil {
		return nil, err
	}
	if net.dtBias, err = m.vector(name(dn.dt), d.ValueHeads); err != nil {
		return nil, err
	}
	if net.norm, err = m.vector(name(dn.norm)+".weight", d.ValueDim); err != nil {
		return nil, err
	}
	if net.out, err = m.linear(name(dn.out), c.Hidden, vw, false); err != nil {
		return nil, err
	}
	return net, nil
}

// fusedDeltaInput splits Qwen3-Next's fused projections. in_proj_qkvz's
// rows are, per key head g, [q_g (dk); k_g (dk); v (r·dv); z (r·dv)] with r
// value heads per key head; in_proj_ba's are, per g, [b (r); a (r)]. The
// product is taken fused, then its columns regrouped into the order of the
// separate projections: all q, all k, all v; z; b; a (value head g·r+j).
func (m *Model) fusedDeltaInput(qkvzName, baName string, d DeltaNetConfig) (func([]float32, int) ([]float32, []float32, []float32, []float32), error) {
	c := m.Config
	r := d.ValueHeads / d.KeyHeads
	dk, dv, nk := d.KeyDim, d.ValueDim, d.KeyHeads
	group := 2*dk + 2*r*dv
	qkvz, err := m.linear(qkvzName, nk*group, c.Hidden, false)
	if err != nil {
		return nil, err
	}
	ba, err := m.linear(baName, 2*d.ValueHeads, c.Hidden, false)
	if err != nil {
		return nil, err
	}
	cd, vw := d.convDim(), d.ValueHeads*dv
	return func(x []float32, rows int) (qkv, z, b, a []float32) {
		f := qkvz.apply(x, rows)
		fb := ba.apply(x, rows)
		qkv, z = make([]float32, rows*cd), make([]float32, rows*vw)
		b, a = make([]float32, rows*d.ValueHeads), make([]float32, rows*d.ValueHeads)
		for t := 0; t < rows; t++ {
			src, dst, zd := f[t*nk*group:], qkv[t*cd:], z[t*vw:]
			for g := 0; g < nk; g++ {
				s := src[g*group:]
				copy(dst[g*dk:(g+1)*dk], s[:dk])
				copy(dst[nk*dk+g*dk:nk*dk+(g+1)*dk], s[dk:2*dk])
				copy(dst[2*nk*dk+g*r*dv:2*nk*dk+(g+1)*r*dv], s[2*dk:2*dk+r*dv])
				copy(zd[g*r*dv:(g+1)*r*dv], s[2*dk+r*dv:group])
				sb := fb[t*2*d.ValueHeads+g*2*r:]
				copy(b[t*d.ValueHeads+g*r:t*d.ValueHeads+(g+1)*r], sb[:r])
				copy(a[t*d.ValueHeads+g*r:t*d.ValueHeads+(g+1)*r], sb[r:2*r])
			}
		}
		return qkv, z, b, a
	}, nil
}

// tensorF32 reads a tensor of the given shape as float32, checking its
// values are finite.
func (m *Model) tensorF32(name string, dims ...int) ([]float32, error) {
	if _, err := m.shape(name, dims...); err != nil {
		return nil, err
	}
	if m.dryRun {
		return nil, nil
	}
	t, err := m.ckpt.Tensor(name)
	if err != nil {
		return nil, err
	}
	v, err := t.Float32()
	if err != nil {
		return nil, err
	}
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("tensor %s: non-finite value %v at index %d", name, x, i)
		}
	}
	return v, nil
}

// splitGate separates a gated q_proj's output, per token and head
// [query (d); gate (d)], into the queries and the gates [rows][heads·d].
func splitGate(qg []float32, rows, heads, d int) (q, gate []float32) {
	q, gate = make([]float32, rows*heads*d), make([]float32, rows*heads*d)
	for i := 0; i < rows*heads; i++ {
		copy(q[i*d:(i+1)*d], qg[2*i*d:(2*i+1)*d])
		copy(gate[i*d:(i+1)*d], qg[(2*i+1)*d:(2*i+2)*d])
	}
	return q, gate
}

// applyGate multiplies the attention output by sigmoid(gate), in place.
func applyGate(att, gate []float32) {
	for i, g := range gate {
		att[i] *= float32(1 / (1 + math.Exp(-float64(g))))
	}
}

// finishLinearLayer completes a linear-attention layer: its Gated DeltaNet
// in place of attention, then the MLP half as any layer has it. Without
// the MLP (calibration's last layer) nothing is needed: the layer has no
// queries.
func (m *Model) finishLinearLayer(ly *Layer, withMLP bool) (*Layer, error) {
	if !withMLP && !m.dryRun {
		return ly, nil
	}
	f, c, l := m.fam, m.Config, ly.Index
	var err error
	if ly.delta, err = m.loadDeltaNet(l); err != nil {
		return nil, err
	}
	if f.postAttnNorm != "" {
		if ly.postAttnNorm, err = m.norm(f.layerName(l, f.postAttnNorm), c.Hidden); err != nil {
			return nil, err
		}
	}
	if f.preMLPNorm != "" {
		if ly.preMLPNorm, err = m.norm(f.layerName(l, f.preMLPNorm), c.Hidden); err != nil {
			return nil, err
		}
	}
	ly.mlp, err = m.loadMLP(l)
	return ly, err
}

// textUnderWrapperNames reports whether a bare Qwen 3.5 text model's
// checkpoint keeps its tensors under the wrapper's names
// (model.language_model.*): transformers saves Qwen3_5ForCausalLM so,
// mapping them back on load, and text-only copies of the published
// checkpoints keep them.
func textUnderWrapperNames(w Weights, f *family) bool {
	if !f.linearAttn || f.deltaNet.fused {
		return false
	}
	for _, n := range w.Names() {
		if strings.HasPrefix(n, "model.language_model.") {
			return true
		}
	}
	return false
}
