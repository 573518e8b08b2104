package model

import (
	"fmt"
	"math"
	"strconv"

	"github.com/qfilters/qfilters/kernels"
)

// Gemma 4 (gemma4_text; Gemma4ForConditionalGeneration wraps it), as
// transformers 5.23 computes it:
//
//   - sliding layers (window sliding_window, default RoPE) and global layers
//     with their own head dim (global_head_dim, or per_layer_config) and,
//     when attention_k_eq_v, their own kv-head count
//     (num_global_key_value_heads), with proportional RoPE;
//   - RMSNorm x·w (not 1+w) everywhere; q_norm and k_norm per head, and a
//     weightless v_norm on the values; attention scores are not scaled;
//   - attention_k_eq_v: a global layer has no v_proj, its values are the raw
//     key projection (then v_norm);
//   - num_kv_shared_layers: the last layers compute no keys or values but
//     read those of the last earlier layer of their type (KVOwner), whose
//     cache they share; use_double_wide_mlp doubles their MLP;
//   - per-layer embeddings (PLE, hidden_size_per_layer_input): a per-layer
//     input from the token ids and the embeddings gates a small residual
//     branch after the MLP (Layer.Tokens must be set);
//   - enable_moe_block: a routed expert MLP beside the dense one;
//   - every layer's output is multiplied by its layer_scalar.

// gemma4Defaults are Gemma4TextConfig's behaviour defaults (global_head_dim
// is read only without per_layer_config).
var gemma4Defaults = map[string]any{"sliding_window": 512.0, "global_head_dim": 512.0,
	"hidden_size_per_layer_input": 256.0, "vocab_size_per_layer_input": 262144.0,
	"rope_parameters": map[string]any{
		"sliding_attention": map[string]any{"rope_type": "default", "rope_theta": 10000.0},
		"full_attention":    map[string]any{"rope_type": "proportional", "partial_rotary_factor": 0.25, "rope_theta": 1e6},
	}}

var gemma4Family = func() *family {
	f := *gemma3Family
	f.modelTypes = []string{"gemma4_text"}
	f.norm = rmsNorm
	f.attnScale = func(*Config) float64 { return 1 }
	f.classDefaults = gemma4Defaults
	f.gemma4 = true
	// Without layer_types, Gemma4TextConfig makes five sliding layers per
	// global one: it reads no sliding_window_pattern (Gemma 3 does).
	f.layerType = func(_ *Config, _ *reader, i int) string {
		if (i+1)%6 != 0 {
			return "sliding_attention"
		}
		return "full_attention"
	}
	return &f
}()

func init() {
	register(gemma4Family)
	wrapperText["gemma4"] = "gemma4_text" // Gemma4ForConditionalGeneration
	// Gemma4TextConfig's sizes, for a text_config saved as a diff.
	textDefaults["gemma4_text"] = map[string]any{"vocab_size": 262144.0, "hidden_size": 2304.0,
		"intermediate_size": 9216.0, "num_hidden_layers": 30.0, "num_attention_heads": 8.0, "num_key_value_heads": 4.0,
		"head_dim": 256.0, "max_position_embeddings": 131072.0, "rms_norm_eps": 1e-6}
}

// Gemma4 holds what only Gemma 4 has (zero when the model is another).
type Gemma4 struct {
	KEqV          bool // global layers reuse the key projection as values
	DoubleWideMLP bool // KV-shared layers have a twice-as-wide MLP
	PLEDim        int  // hidden_size_per_layer_input; 0: no per-layer embeddings
	PLEVocab      int
	MoE           bool
	Experts, TopK int
	MoEInter      int
}

// parseGemma4 reads Gemma 4's per-layer shapes, cache sharing, PLE and MoE
// settings, once the layer types are known.
func (c *Config) parseGemma4(r *reader) error {
	last := c.Layers - 1
	if c.Window[last] != 0 {
		// Gemma4TextConfig forces the last layer to full attention.
		rc, err := c.ropeFor(r, "full_attention")
		if err != nil {
			return err
		}
		c.Rope[last], c.Window[last] = rc, 0
	}
	g := &c.Gemma4
	g.KEqV = r.bool("attention_k_eq_v", false)
	g.DoubleWideMLP = r.bool("use_double_wide_mlp", false)
	g.PLEDim = r.int("hidden_size_per_layer_input", 0)
	g.PLEVocab = r.int("vocab_size_per_layer_input", 0)
	g.MoE = r.bool("enable_moe_block", false)
	if g.MoE {
		g.Experts, g.TopK, g.MoEInter = r.int("num_experts", 0), r.int("top_k_experts", 0), r.int("moe_intermediate_size", 0)
		if g.Experts <= 0 || g.Experts > 1<<12 || g.TopK <= 0 || g.TopK > g.Experts || g.MoEInter <= 0 || g.MoEInter > 1<<20 {
			return fmt.Errorf("enable_moe_block needs num_experts, top_k_experts <= num_experts and moe_intermediate_size, got %d, %d, %d",
				g.Experts, g.TopK, g.MoEInter)
		}
	}
	if g.PLEDim < 0 || g.PLEDim > 1<<14 || g.PLEDim > 0 && (g.PLEVocab <= 0 || g.PLEVocab > 1<<23) {
		return fmt.Errorf("hidden_size_per_layer_input %d / vocab_size_per_layer_input %d out of range", g.PLEDim, g.PLEVocab)
	}
	// Per-layer head dims and kv heads: per_layer_config as transformers 5.23
	// writes it, else global_head_dim / num_global_key_value_heads on the
	// global layers as the published configs say.
	c.LayerHeadDim, c.LayerKVHeads = make([]int, c.Layers), make([]int, c.Layers)
	globalDim := r.int("global_head_dim", 0)
	globalKV := 0
	if g.KEqV {
		globalKV = r.int("num_global_key_value_heads", 0)
	}
	per, hasPer := c.raw["per_layer_config"].(map[string]any)
	for l := range c.Layers {
		c.LayerHeadDim[l], c.LayerKVHeads[l] = c.HeadDim, c.KVHeads
		if hasPer {
			if o, ok := per[strconv.Itoa(l)].(map[string]any); ok {
				pr := reader{raw: o}
				c.LayerHeadDim[l] = pr.int("head_dim", c.HeadDim)
				c.LayerKVHeads[l] = pr.int("num_key_value_heads", c.KVHeads)
				if pr.err != nil {
					return fmt.Errorf("per_layer_config: %w", pr.err)
				}
			}
		} else if c.Window[l] == 0 {
			if globalDim > 0 {
				c.LayerHeadDim[l] = globalDim
			}
			if globalKV > 0 {
				c.LayerKVHeads[l] = globalKV
			}
		}
		d, kv := c.LayerHeadDim[l], c.LayerKVHeads[l]
		if d <= 0 || d > 1<<12 || kv <= 0 || kv > 1<<10 || c.Heads%kv != 0 {
			return fmt.Errorf("layer %d: head_dim %d, %d kv heads for %d query heads: not a valid shape", l, d, kv, c.Heads)
		}
		if rot := int(float64(d) * c.Rope[l].PartialFactor); c.Rope[l].Type != "proportional" && (rot < 2 || rot%2 != 0) {
			return fmt.Errorf("layer %d: rotary dimension %d (head_dim %d) must be even and >= 2", l, rot, d)
		}
	}
	// Cache sharing: the last num_kv_shared_layers layers read the cache of
	// the last earlier layer of their type.
	shared := r.int("num_kv_shared_layers", 0)
	if shared < 0 || shared >= c.Layers {
		return fmt.Errorf("num_kv_shared_layers %d: need 0 <= it < num_hidden_layers %d", shared, c.Layers)
	}
	if shared > 0 {
		first := c.Layers - shared
		c.KVOwner = make([]int, c.Layers)
		for l := range c.Layers {
			c.KVOwner[l] = l
			if l < first {
				continue
			}
			owner := -1
			for i := first - 1; i >= 0; i-- {
				if c.Window[i] == c.Window[l] {
					owner = i
					break
				}
			}
			if owner < 0 {
				return fmt.Errorf("layer %d is %s and shares the cache of an earlier layer of its type, but none of the first %d layers is one",
					l, layerTypeName(c.Window[l]), first)
			}
			if c.LayerHeadDim[owner] != c.LayerHeadDim[l] || c.LayerKVHeads[owner] != c.LayerKVHeads[l] {
				return fmt.Errorf("layer %d shares the cache of layer %d but their heads differ (%d x %d vs %d x %d)",
					l, owner, c.LayerKVHeads[l], c.LayerHeadDim[l], c.LayerKVHeads[owner], c.LayerHeadDim[owner])
			}
			c.KVOwner[l] = owner
		}
	}
	uniform := true
	for l := range c.Layers {
		uniform = uniform && c.LayerHeadDim[l] == c.HeadDim && c.LayerKVHeads[l] == c.KVHeads
	}
	if uniform {
		c.LayerHeadDim, c.LayerKVHeads = nil, nil
	}
	return nil
}

func layerTypeName(window int) string {
	if window > 0 {
		return "sliding_attention"
	}
	return "full_attention"
}

// HeadDimOf is layer l's head dim (Gemma 4's global layers have their own).
func (c *Config) HeadDimOf(l int) int {
	if c.LayerHeadDim != nil {
		return c.LayerHeadDim[l]
	}
	return c.HeadDim
}

// KVHeadsOf is layer l's number of kv heads.
func (c *Config) KVHeadsOf(l int) int {
	if c.LayerKVHeads != nil {
		return c.LayerKVHeads[l]
	}
	return c.KVHeads
}

// CacheOwner is the layer whose KV cache layer l reads: l itself unless it
// shares an earlier layer's (Gemma 4's num_kv_shared_layers).
func (c *Config) CacheOwner(l int) int {
	if c.KVOwner != nil {
		return c.KVOwner[l]
	}
	return l
}

// forLayer is c with layer l's head dim, kv heads and MLP width in the
// model-wide fields: what a Layer computes with.
func (c *Config) forLayer(l int) *Config {
	wide := c.Gemma4.DoubleWideMLP && c.CacheOwner(l) != l
	if c.LayerHeadDim == nil && !wide {
		return c
	}
	lc := *c
	lc.HeadDim, lc.KVHeads = c.HeadDimOf(l), c.KVHeadsOf(l)
	if wide {
		lc.Intermediate *= 2
	}
	return &lc
}

// sharedKV holds the keys and values an owner layer computed for every
// token of the current Forward, for the layers that share its cache.
type sharedKV struct {
	k, v []float32
}

// sharedFor returns the store of owner's cache, made on first use.
func (m *Model) sharedFor(owner int) *sharedKV {
	m.sharedMu.Lock()
	defer m.sharedMu.Unlock()
	if m.shared == nil {
		m.shared = map[int]*sharedKV{}
	}
	s, ok := m.shared[owner]
	if !ok {
		s = &sharedKV{}
		m.shared[owner] = s
	}
	return s
}

// loadGemma4Attention sets up the parts of a Gemma 4 layer's attention
// the generic loader does not: the value norm, keys as values, cache
// sharing. It returns whether the layer computes its own keys and values.
func (m *Model) loadGemma4Attention(ly *Layer, l int) (ownKV bool, err error) {
	c := m.Config
	ly.vNorm = true
	ly.kEqV = c.Gemma4.KEqV && c.Window[l] == 0
	if o := c.CacheOwner(l); o != l {
		name := m.fam.layerName(l, m.fam.k) + ".weight"
		if hasTensor(m.ckpt, name) {
			return false, fmt.Errorf("checkpoint %s: layer %d reads the cache of layer %d (num_kv_shared_layers) but has its own %s", m.Dir, l, o, name)
		}
		ly.readKV = m.sharedFor(o)
		return false, nil
	}
	if c.KVOwner != nil {
		for r := l + 1; r < c.Layers; r++ {
			if c.KVOwner[r] == l {
				ly.storeKV = m.sharedFor(l)
				break
			}
		}
	}
	return true, nil
}

// pleBlock is a layer's per-layer-embedding branch and the parts of the
// model-wide PLE tables that make its input.
type pleBlock struct {
	m                  *Model
	dim, layer         int
	embed, table       kernels.Matrix // the main embedding, embed_tokens_per_layer
	proj               *linear        // this layer's rows of per_layer_model_projection
	projNorm, postNorm *norm
	gate, out          *linear
	act                func(float32) float32
}

// input is the layer's per-layer input for the tokens ids, [len(ids)][dim]:
// (norm(proj(embed(ids))·hidden^-½) + table(ids)[layer]·√dim)·2^-½.
func (p *pleBlock) input(ids []int) ([]float32, error) {
	m := p.m
	c := m.Config
	emb, err := m.embedWith(p.embed, ids)
	if err != nil {
		return nil, err
	}
	x := p.proj.apply(emb, len(ids))
	s := float32(math.Pow(float64(c.Hidden), -0.5))
	for i := range x {
		x[i] *= s
	}
	p.projNorm.apply(x)
	row := make([]float32, p.table.Cols)
	scale := float32(math.Sqrt(float64(p.dim)))
	half := float32(math.Pow(2, -0.5))
	for t, id := range ids {
		if id < 0 || id >= p.table.Rows {
			return nil, fmt.Errorf("token id %d is outside the per-layer embedding vocabulary (size %d)", id, p.table.Rows)
		}
		decodeRow(row, p.table, id)
		seg := row[p.layer*p.dim : (p.layer+1)*p.dim]
		dst := x[t*p.dim : (t+1)*p.dim]
		for i, v := range seg {
			dst[i] = (dst[i] + v*scale) * half
		}
	}
	return x, nil
}

// apply adds the PLE branch to h [rows][hidden] in place.
func (p *pleBlock) apply(h []float32, ids []int) error {
	in, err := p.input(ids)
	if err != nil {
		return err
	}
	rows := len(ids)
	g := p.gate.apply(h, rows)
	for i := range g {
		g[i] = p.act(g[i]) * in[i]
	}
	o := p.out.apply(g, rows)
	p.postNorm.apply(o)
	addInto(h, o)
	return nil
}

// weightlessRMSNorm normalizes x in rows of width d in place: x/rms(x)
// (Gemma 4's v_norm, an RMSNorm without a scale).
func weightlessRMSNorm(x []float32, d int, eps float64) {
	for off := 0; off+d <= len(x); off += d {
		row := x[off : off+d]
		var ss float64
		for _, v := range row {
			ss += float64(v) * float64(v)
		}
		inv := float32(1 / math.Sqrt(ss/float64(d)+eps))
		for i := range row {
			row[i] *= inv
		}
	}
}

// loadGemma4Tail reads what a Gemma 4 layer has after its MLP: the MoE
// block beside it, the per-layer embedding branch, the layer scalar.
func (m *Model) loadGemma4Tail(ly *Layer, l int) error {
	c, f := m.Config, m.fam
	name := func(role string) string { return f.layerName(l, role) }
	if hasTensor(m.ckpt, name("layer_scalar")) {
		s, err := m.vector(name("layer_scalar"), 1)
		if err != nil {
			return err
		}
		if s != nil {
			ly.scalar = s[0]
		} else {
			ly.scalar = 1
		}
	}
	act, err := activation(c.Activation)
	if err != nil {
		return err
	}
	if g := c.Gemma4; g.MoE {
		moe := &gemma4MoE{dense: ly.mlp.(*gatedMLP), pre: ly.preMLPNorm, topK: g.TopK, hidden: c.Hidden, eps: c.NormEps}
		ly.preMLPNorm = nil // the block normalizes its own inputs: the router reads the raw residual
		if moe.post1, err = m.norm(name("post_feedforward_layernorm_1"), c.Hidden); err != nil {
			return err
		}
		if moe.pre2, err = m.norm(name("pre_feedforward_layernorm_2"), c.Hidden); err != nil {
			return err
		}
		if moe.post2, err = m.norm(name("post_feedforward_layernorm_2"), c.Hidden); err != nil {
			return err
		}
		if moe.router, err = m.linear(name("router.proj"), g.Experts, c.Hidden, false); err != nil {
			return err
		}
		if moe.scale, err = m.vector(name("router.scale"), c.Hidden); err != nil {
			return err
		}
		if moe.perExpert, err = m.vector(name("router.per_expert_scale"), g.Experts); err != nil {
			return err
		}
		gu, err := m.experts3D(name("experts.gate_up_proj"), g.Experts, 2*g.MoEInter, c.Hidden)
		if err != nil {
			return err
		}
		dn, err := m.experts3D(name("experts.down_proj"), g.Experts, c.Hidden, g.MoEInter)
		if err != nil {
			return err
		}
		for e := range g.Experts {
			fused := &linear{w: gu[e], bf16: m.bf16}
			moe.experts = append(moe.experts, &gatedMLP{gate: fused.rows(0, g.MoEInter), up: fused.rows(g.MoEInter, 2*g.MoEInter),
				down: &linear{w: dn[e], bf16: m.bf16}, act: act})
		}
		ly.mlp = moe
	}
	if d := c.Gemma4.PLEDim; d > 0 {
		p := &pleBlock{m: m, dim: d, layer: l, act: act}
		if p.embed, err = m.matrix(f.embed+".weight", c.Vocab, c.Hidden); err != nil {
			return err
		}
		if p.table, err = m.matrix("model.embed_tokens_per_layer.weight", c.Gemma4.PLEVocab, c.Layers*d); err != nil {
			return err
		}
		proj, err := m.linear("model.per_layer_model_projection", c.Layers*d, c.Hidden, false)
		if err != nil {
			return err
		}
		p.proj = proj.rows(l*d, (l+1)*d)
		if p.projNorm, err = m.norm("model.per_layer_projection_norm", d); err != nil {
			return err
		}
		if p.gate, err = m.linear(name("per_layer_input_gate"), d, c.Hidden, false); err != nil {
			return err
		}
		if p.out, err = m.linear(name("per_layer_projection"), c.Hidden, d, false); err != nil {
			return err
		}
		if p.postNorm, err = m.norm(name("post_per_layer_input_norm"), c.Hidden); err != nil {
			return err
		}
		ly.ple = p
	}
	return nil
}

// experts3D reads an [experts][rows][cols] tensor as one matrix per expert
// (views of its data).
func (m *Model) experts3D(name string, experts, rows, cols int) ([]kernels.Matrix, error) {
	dt, err := m.shape(name, experts, rows, cols)
	if err != nil {
		return nil, err
	}
	var kd kernels.DType
	switch dt {
	case "F32":
		kd = kernels.F32
	case "F16":
		kd = kernels.F16
	case "BF16":
		kd = kernels.BF16
	default:
		return nil, fmt.Errorf("tensor %s: dtype %s not supported for weights (F32, F16, BF16)", name, dt)
	}
	out := make([]kernels.Matrix, experts)
	var data []byte
	if !m.dryRun {
		t, err := m.ckpt.Tensor(name)
		if err != nil {
			return nil, err
		}
		data = t.Data
	}
	size := rows * cols * elemSize(kd)
	for e := range out {
		out[e] = kernels.Matrix{Rows: rows, Cols: cols, DType: kd}
		if data != nil {
			out[e].Data = data[e*size : (e+1)*size]
			if err := checkFinite(name, out[e]); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// gemma4MoE is Gemma 4's feed-forward block with experts: the dense MLP of
// the normalized input and, beside it, the experts the router picks from
// the raw residual, each output normalized, summed (the layer's
// post_feedforward_layernorm follows).
type gemma4MoE struct {
	dense            *gatedMLP
	pre, post1       *norm
	pre2, post2      *norm
	router           *linear
	scale, perExpert []float32
	experts          []*gatedMLP
	topK, hidden     int
	eps              float64
}

func (g *gemma4MoE) apply(x []float32, rows int) []float32 {
	h := g.hidden
	xn := append([]float32(nil), x...)
	g.pre.apply(xn)
	out := g.dense.apply(xn, rows)
	g.post1.apply(out)

	r := append([]float32(nil), x...)
	weightlessRMSNorm(r, h, g.eps)
	root := float32(math.Pow(float64(h), -0.5))
	for i := range r {
		r[i] = r[i] * g.scale[i%h] * root
	}
	logits := g.router.apply(r, rows)
	x2 := append([]float32(nil), x...)
	g.pre2.apply(x2)
	n := len(g.experts)
	tokens := make([][]int, n)
	weights := make([][]float32, n)
	probs := make([]float32, n)
	order := make([]int, n)
	for t := 0; t < rows; t++ {
		row := logits[t*n : (t+1)*n]
		maxL := math.Inf(-1)
		for _, v := range row {
			maxL = math.Max(maxL, float64(v))
		}
		var sum float64
		for e, v := range row {
			sum += math.Exp(float64(v) - maxL)
			order[e] = e
		}
		for e, v := range row {
			probs[e] = float32(math.Exp(float64(v)-maxL) / sum)
		}
		sortByDesc(order, probs)
		var top float32
		for _, e := range order[:g.topK] {
			top += probs[e]
		}
		for _, e := range order[:g.topK] {
			tokens[e] = append(tokens[e], t)
			weights[e] = append(weights[e], probs[e]/top*g.perExpert[e])
		}
	}
	moe := make([]float32, rows*h)
	for e, toks := range tokens {
		if len(toks) == 0 {
			continue
		}
		in := make([]float32, len(toks)*h)
		for i, t := range toks {
			copy(in[i*h:(i+1)*h], x2[t*h:(t+1)*h])
		}
		y := g.experts[e].apply(in, len(toks))
		for i, t := range toks {
			w := weights[e][i]
			dst := moe[t*h : (t+1)*h]
			for j, v := range y[i*h : (i+1)*h] {
				dst[j] += w * v
			}
		}
	}
	g.post2.apply(moe)
	addInto(out, moe)
	return out
}

// sortByDesc orders the indices by decreasing p, ties by index (torch.topk's
// order for distinct values).
func sortByDesc(order []int, p []float32) {
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && (p[order[j]] > p[order[j-1]] || p[order[j]] == p[order[j-1]] && order[j] < order[j-1]); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
}

// MaxHeadDim is the largest head dim over the layers.
func (c *Config) MaxHeadDim() int {
	d := c.HeadDim
	for _, x := range c.LayerHeadDim {
		d = max(d, x)
	}
	return d
}

// MaxKVHeads is the largest kv-head count over the layers.
func (c *Config) MaxKVHeads() int {
	n := c.KVHeads
	for _, x := range c.LayerKVHeads {
		n = max(n, x)
	}
	return n
}

// CacheReaders lists the layers that read layer l's cache besides l
// itself, increasing.
func (c *Config) CacheReaders(l int) []int {
	var out []int
	for r, o := range c.KVOwner {
		if o == l && r != l {
			out = append(out, r)
		}
	}
	return out
}

// gemma4WorkingSet is WorkingSet for Gemma 4: the largest layer's weights
// (its own head dims, a double-wide MLP, the MoE block, its PLE branch and
// its rows of the PLE projection) twice, the hidden states, the keys and
// values kept for the layers sharing a cache, one chunk's activations.
func (c *Config) gemma4WorkingSet(seqs, seqLen int) (weights, hidden, activations int64) {
	h := int64(c.Hidden)
	g := c.Gemma4
	tokens := int64(seqs) * int64(seqLen)
	var largest, shared, widest int64
	for l := range c.Layers {
		lc := c.forLayer(l)
		q, kv := int64(lc.Heads*lc.HeadDim), int64(lc.KVHeads*lc.HeadDim)
		n := h*(q+2*kv) + q*h + 3*h*int64(lc.Intermediate)
		if g.MoE {
			n += int64(g.Experts)*3*h*int64(g.MoEInter) + int64(g.Experts)*h + 5*h
		}
		if g.PLEDim > 0 {
			n += 3 * h * int64(g.PLEDim)
		}
		largest = max(largest, n)
		widest = max(widest, 2*q+2*kv+2*int64(lc.Intermediate))
		if c.KVOwner != nil && c.KVOwner[l] == l && len(c.CacheReaders(l)) > 0 {
			shared += 2 * 4 * tokens * kv
		}
	}
	weights = 2 * 4 * largest
	hidden = 2*4*tokens*h + shared
	chunk := min(tokens, maxChunkRows)
	activations = 4 * chunk * (h + widest)
	return weights, hidden, activations
}
