package gguf

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
)

// hfConfig writes the config.json transformers would hold for the model, from
// the metadata llama.cpp's converter wrote ({arch}.* keys) and the tensors
// present. The caller parses it like any other config.json.
func (m *Model) hfConfig() ([]byte, error) {
	g, a, an := m.file, m.arch, m.archName
	key := func(k string) string { return an + "." + k }
	c := map[string]any{"model_type": a.modelType, "architectures": []string{a.class}}
	var err error
	req := func(k, hf string) int {
		v, e := g.intKey(key(k), -1)
		if e == nil && v < 0 {
			e = fmt.Errorf("metadata %s is missing", key(k))
		}
		if err == nil {
			err = e
		}
		c[hf] = v
		return v
	}
	if n, err := g.intKey(key("expert_count"), 0); err != nil || (n > 0 && a.experts == nil && !a.ownExperts) {
		if err == nil {
			err = fmt.Errorf("mixture-of-experts GGUF files (%s = %d) are not supported; use the Hugging Face checkpoint", key("expert_count"), n)
		}
		return nil, err
	}
	hidden := req("embedding_length", "hidden_size")
	if v, ok := g.kv[key("feed_forward_length")]; a == gemma4Arch && ok && v.Type == TypeArray {
		// per layer: gemma4Config reads it
	} else if ok || a.modelType != "qwen3_5_moe_text" {
		req("feed_forward_length", "intermediate_size") // Qwen 3.5 MoE has none
	}
	layers := req("block_count", "num_hidden_layers")
	heads := req("attention.head_count", "num_attention_heads")
	if err != nil {
		return nil, err
	}
	// The converter appends multi-token-prediction layers (GLM-4.5's,
	// Qwen3-Next's and Qwen 3.5's MTP) as blocks after the model's own.
	nextn, err := g.intKey(key("nextn_predict_layers"), 0)
	if err != nil {
		return nil, err
	}
	if nextn < 0 || nextn >= layers {
		return nil, fmt.Errorf("metadata %s = %d of %d blocks", key("nextn_predict_layers"), nextn, layers)
	}
	layers -= nextn
	c["num_hidden_layers"] = layers
	kv := heads
	if v, ok := g.kv[key("attention.head_count_kv")]; a != gemma4Arch || !ok || v.Type != TypeArray {
		if kv, err = g.intKey(key("attention.head_count_kv"), heads); err != nil {
			return nil, err
		}
	} // else per layer: gemma4Config reads it
	c["num_key_value_heads"] = kv
	headDim := 0
	if heads > 0 {
		headDim = hidden / heads
	}
	if headDim, err = g.intKey(key("attention.key_length"), headDim); err != nil {
		return nil, err
	}
	c["head_dim"] = headDim
	vocab, err := m.vocabSize()
	if err != nil {
		return nil, err
	}
	c["vocab_size"] = vocab
	if ctx, err := g.intKey(key("context_length"), 0); err != nil {
		return nil, err
	} else if ctx > 0 {
		c["max_position_embeddings"] = ctx
	}
	if eps, ok, err := g.floatKey(key("attention.layer_norm_rms_epsilon")); err != nil {
		return nil, err
	} else if ok {
		c["rms_norm_eps"] = eps
	}
	if eps, ok, err := g.floatKey(key("attention.layer_norm_epsilon")); err != nil {
		return nil, err
	} else if ok {
		c["layer_norm_eps"] = eps
	}
	theta, ok, err := g.floatKey(key("rope.freq_base"))
	if err != nil {
		return nil, err
	}
	if !ok {
		theta = 10000 // llama.cpp's default
	}
	c["rope_theta"] = theta
	// The converter writes rope.freq_base_swa from the checkpoint's
	// sliding-window rope parameters; Gemma 3 and 4 read it (archConfig),
	// the others have one base for every layer.
	if swa, ok, err := g.floatKey(key("rope.freq_base_swa")); err != nil {
		return nil, err
	} else if ok && swa != theta && a.modelType != "gemma3_text" && a != gemma4Arch {
		return nil, fmt.Errorf("metadata %s = %v differs from %s = %v: a separate RoPE base for the sliding-window layers of %s is not supported",
			key("rope.freq_base_swa"), swa, key("rope.freq_base"), theta, an)
	}
	if rd, err := g.intKey(key("rope.dimension_count"), headDim); err != nil {
		return nil, err
	} else if rd != headDim && headDim > 0 {
		c["partial_rotary_factor"] = float64(rd) / float64(headDim)
		c["rotary_pct"] = float64(rd) / float64(headDim)
	}
	_, hasOutput := g.Tensor("output.weight")
	c["tie_word_embeddings"] = !hasOutput
	if a.modelType != "gpt_neox" {
		c["attention_bias"] = m.has("blk.0.attn_q.bias") || m.has("blk.0.attn_qkv.bias")
		c["mlp_bias"] = m.has("blk.0.ffn_up.bias")
	}
	if err := m.archConfig(c, key, layers, hidden, heads, headDim); err != nil {
		return nil, err
	}
	if err := m.ropeScaling(c, key); err != nil {
		return nil, err
	}
	return json.MarshalIndent(c, "", "  ")
}

// archConfig adds the keys particular to one family.
func (m *Model) archConfig(c map[string]any, key func(string) string, layers, hidden, heads, headDim int) error {
	g := m.file
	window, err := g.intKey(key("attention.sliding_window"), 0)
	if err != nil {
		return err
	}
	switch m.arch.modelType {
	case "gemma2", "gemma3_text":
		c["hidden_activation"] = "gelu_pytorch_tanh"
		// llama.cpp scales queries by 1/sqrt(n_embd/n_head) for the 27B
		// models (46 and 62 layers) and by 1/sqrt(head_dim) otherwise, which
		// is what query_pre_attn_scalar says in their configs.
		scalar := headDim
		if (m.arch.modelType == "gemma2" && layers == 46) || (m.arch.modelType == "gemma3_text" && layers == 62) {
			scalar = hidden / heads
		}
		c["query_pre_attn_scalar"] = scalar
		for _, k := range []string{"attn_logit_softcapping", "final_logit_softcapping"} {
			if v, ok, err := g.floatKey(key(k)); err != nil {
				return err
			} else if ok && v > 0 {
				c[k] = v
			}
		}
		if window > 0 {
			c["sliding_window"] = window
		}
		if m.arch.modelType == "gemma3_text" {
			// Local layers use rope.freq_base_swa (the converter writes the
			// checkpoint's sliding_attention rope_theta), else llama.cpp's
			// 10000; every 6th layer is global unless the file says otherwise.
			local, ok, err := g.floatKey(key("rope.freq_base_swa"))
			if err != nil {
				return err
			}
			if !ok {
				local = 10000
			}
			c["rope_local_base_freq"] = local
			c["sliding_window_pattern"] = 6
			if v, ok := g.Value(key("attention.sliding_window_pattern")); ok {
				types, err := layerTypes(v, layers, key("attention.sliding_window_pattern"))
				if err != nil {
					return err
				}
				c["layer_types"] = types
			}
			if window == 0 {
				c["layer_types"] = repeat("full_attention", layers)
			}
		}
	case "phi3":
		if window > 0 {
			c["sliding_window"] = window
		}
	case "olmo2":
		// OLMo 3 is written as olmo2 with a window and, per layer, whether
		// it slides.
		if window > 0 {
			c["model_type"], c["architectures"] = "olmo3", []string{"Olmo3ForCausalLM"}
			c["sliding_window"] = window
			if v, ok := g.Value(key("attention.sliding_window_pattern")); ok {
				types, err := layerTypes(v, layers, key("attention.sliding_window_pattern"))
				if err != nil {
					return err
				}
				c["layer_types"] = types
			}
		}
	case "smollm3":
		// llama.cpp takes every fourth layer as NoPE; the file says nothing.
		c["no_rope_layer_interval"] = 4
	case "granitemoe":
		if err := m.moeCounts(c, key, "num_local_experts"); err != nil {
			return err
		}
		if n, err := g.intKey(key("expert_shared_feed_forward_length"), 0); err != nil || n > 0 {
			if err == nil {
				err = fmt.Errorf("Granite MoE with a shared expert (%s = %d) is not supported", key("expert_shared_feed_forward_length"), n)
			}
			return err
		}
		fallthrough
	case "granite":
		for gk, hf := range map[string]string{"attention.scale": "attention_multiplier", "embedding_scale": "embedding_multiplier",
			"residual_scale": "residual_multiplier", "logit_scale": "logits_scaling"} {
			if v, ok, err := g.floatKey(key(gk)); err != nil {
				return err
			} else if ok {
				c[hf] = v
			}
		}
	case "qwen3_next", "qwen3_5_text", "qwen3_5_moe_text":
		if err := m.hybridConfig(c, key, layers); err != nil {
			return err
		}
	case "gemma4_text":
		if err := m.gemma4Config(c, key, layers, heads); err != nil {
			return err
		}
	case "gpt_oss":
		if err := m.gptOssConfig(c, key, layers); err != nil {
			return err
		}
	case "llama4_text":
		if err := m.llama4Config(c, key, layers); err != nil {
			return err
		}
	case "glm4_moe":
		if err := m.glm4MoEConfig(c, key); err != nil {
			return err
		}
		fallthrough
	case "glm4":
		// Always explicit: Glm4Config's default partial factor is 0.5.
		rd, err := g.intKey(key("rope.dimension_count"), headDim)
		if err != nil {
			return err
		}
		c["partial_rotary_factor"] = float64(rd) / float64(max(headDim, 1))
	case "cohere2":
		// llama.cpp makes every fourth layer global, as transformers does.
		if v, ok, err := g.floatKey(key("logit_scale")); err != nil {
			return err
		} else if ok {
			c["logit_scale"] = v
		}
		if window > 0 {
			c["sliding_window"] = window
		}
	case "gpt_neox":
		c["hidden_act"] = "gelu"
		par := true
		if v, ok := g.Value(key("use_parallel_residual")); ok {
			if par, ok = v.Bool(); !ok {
				return fmt.Errorf("metadata %s is %v, not true or false", key("use_parallel_residual"), v)
			}
		}
		c["use_parallel_residual"] = par
		c["attention_bias"] = m.has("blk.0.attn_qkv.bias")
	}
	return nil
}

// layerTypes reads a sliding-window pattern: a period n (every n-th layer is
// global) or one bool per layer (true: sliding).
func layerTypes(v Value, layers int, key string) ([]string, error) {
	out := repeat("full_attention", layers)
	if n, ok := v.Int(); ok && n > 0 {
		for i := range out {
			if (i+1)%n != 0 {
				out[i] = "sliding_attention"
			}
		}
		return out, nil
	}
	if b, ok := v.v.([]bool); ok && len(b) == layers {
		for i := range out {
			if b[i] {
				out[i] = "sliding_attention"
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("metadata %s = %v: expected a period or one bool per layer", key, v)
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// ropeScaling translates llama.cpp's RoPE scaling into transformers'
// rope_scaling. llama.cpp stores Llama 3's and Phi-3's per-frequency factors
// as tensors (rope_freqs, rope_factors_short/long): both are expressed as
// longrope, whose inverse frequencies are base^(-2i/d) / factor[i], the very
// formula llama.cpp applies.
func (m *Model) ropeScaling(c map[string]any, key func(string) string) error {
	g := m.file
	typ := ""
	if v, ok := g.Value(key("rope.scaling.type")); ok {
		typ, _ = v.Str()
	}
	factor, hasFactor, err := g.floatKey(key("rope.scaling.factor"))
	if err != nil {
		return err
	}
	if !hasFactor { // the first GGUF converters' key
		if factor, hasFactor, err = g.floatKey(key("rope.scale_linear")); err != nil {
			return err
		}
	}
	if typ == "" && hasFactor {
		typ = "linear" // llama.cpp's scaling type when the file names none
	}
	orig, err := g.intKey(key("rope.scaling.original_context_length"), 0)
	if err != nil {
		return err
	}
	short, hasShort, err := m.factors("rope_factors_short.weight")
	if err != nil {
		return err
	}
	long, hasLong, err := m.factors("rope_factors_long.weight")
	if err != nil {
		return err
	}
	freqs, hasFreqs, err := m.factors("rope_freqs.weight")
	if err != nil {
		return err
	}
	if m.arch == gemma4Arch {
		hasFreqs = false // the global layers' proportional RoPE (gemma4Config)
	}
	switch {
	case hasShort || hasLong:
		if !hasShort || !hasLong {
			return fmt.Errorf("the file has only one of rope_factors_short and rope_factors_long")
		}
		if orig <= 0 {
			return fmt.Errorf("rope factors without %s", key("rope.scaling.original_context_length"))
		}
		c["rope_scaling"] = map[string]any{"type": "longrope", "short_factor": short, "long_factor": long}
		c["original_max_position_embeddings"] = orig
	case hasFreqs:
		ctx, _ := c["max_position_embeddings"].(int)
		c["rope_scaling"] = map[string]any{"rope_type": "longrope", "short_factor": freqs, "long_factor": freqs,
			"attention_factor": 1.0, "factor": 1.0, "original_max_position_embeddings": max(ctx, 1)}
	case typ == "" || typ == "none":
	case typ == "linear":
		if factor > 0 && factor != 1 {
			c["rope_scaling"] = map[string]any{"rope_type": "linear", "factor": factor}
		}
	case typ == "yarn":
		return m.yarnScaling(c, key, factor, orig)
	default:
		return fmt.Errorf("rope scaling %q is not supported (supported: linear, yarn, and llama.cpp's rope factor tensors)", typ)
	}
	return nil
}

// factors reads a small F32 tensor of RoPE factors.
func (m *Model) factors(name string) ([]float64, bool, error) {
	t, ok := m.file.Tensor(name)
	if !ok {
		return nil, false, nil
	}
	if len(t.Dims) != 1 || t.Dims[0] > 1<<16 {
		return nil, false, fmt.Errorf("tensor %s has shape %v, expected one short vector", name, t.Dims)
	}
	v, err := m.file.Float32(t)
	if err != nil {
		return nil, false, err
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out, true, nil
}

// vocabSize is the number of embedding rows: {arch}.vocab_size, else the
// token list's length, else the embedding's.
func (m *Model) vocabSize() (int, error) {
	if n, err := m.file.intKey(m.archName+".vocab_size", 0); err != nil || n > 0 {
		return n, err
	}
	if v, ok := m.file.Value("tokenizer.ggml.tokens"); ok && v.Len() > 0 {
		return v.Len(), nil
	}
	if t, ok := m.file.Tensor("token_embd.weight"); ok && len(t.Dims) == 2 {
		return t.Dims[1], nil
	}
	return 0, fmt.Errorf("cannot tell the vocabulary size: no %s.vocab_size, token list or token_embd.weight", m.archName)
}

// intKey reads an integer metadata value, def when absent. A per-layer
// array with the same value for every layer is that value (Granite 4.0's
// all-attention models write head_count_kv so).
func (g *File) intKey(k string, def int) (int, error) {
	v, ok := g.kv[k]
	if !ok {
		return def, nil
	}
	n, ok := v.Int()
	if !ok {
		if v.Type == TypeArray {
			if all, ok := v.Ints(); ok && len(all) > 0 && !slices.ContainsFunc(all, func(x int64) bool { return x != all[0] }) &&
				all[0] >= math.MinInt32 && all[0] <= math.MaxInt32 {
				return int(all[0]), nil
			}
			return 0, fmt.Errorf("metadata %s is a per-layer array; only one value for all layers is supported", k)
		}
		return 0, fmt.Errorf("metadata %s = %v is not an integer", k, v)
	}
	return n, nil
}

// floatKey reads a numeric metadata value.
func (g *File) floatKey(k string) (float64, bool, error) {
	v, ok := g.kv[k]
	if !ok {
		return 0, false, nil
	}
	f, ok := v.Float()
	if !ok {
		return 0, false, fmt.Errorf("metadata %s = %v is not a number", k, v)
	}
	return f, true, nil
}

// strKey reads a string metadata value ("" when absent).
func (g *File) strKey(k string) (string, error) {
	v, ok := g.kv[k]
	if !ok {
		return "", nil
	}
	s, ok := v.Str()
	if !ok {
		return "", fmt.Errorf("metadata %s = %v is not a string", k, v)
	}
	return strings.TrimSpace(s), nil
}

// yarnScaling writes YaRN as transformers' rope_scaling: the factor, the
// original context and, where the file has them, beta_fast / beta_slow and
// the attention factor.
// llama.cpp's correction range is always floored and ceiled, which is
// transformers' default (truncate true).
func (m *Model) yarnScaling(c map[string]any, key func(string) string, factor float64, orig int) error {
	if !(factor > 0) {
		return fmt.Errorf("rope scaling yarn without a positive %s", key("rope.scaling.factor"))
	}
	rs := map[string]any{"rope_type": "yarn", "factor": factor}
	if orig > 0 {
		rs["original_max_position_embeddings"] = orig
	}
	for _, k := range []struct{ gguf, hf string }{{"rope.scaling.yarn_beta_fast", "beta_fast"}, {"rope.scaling.yarn_beta_slow", "beta_slow"}} {
		v, ok, err := m.file.floatKey(key(k.gguf))
		if err != nil {
			return err
		}
		if ok && v > 0 {
			rs[k.hf] = v
		}
	}
	// The checkpoint's attention_factor: TextModel writes it as
	// yarn_attn_factor, Olmo2Model (OLMo 3) also as attn_factor.
	for _, k := range []string{"rope.scaling.yarn_attn_factor", "rope.scaling.attn_factor"} {
		v, ok, err := m.file.floatKey(key(k))
		if err != nil {
			return err
		}
		if ok {
			if !(v > 0) {
				return fmt.Errorf("metadata %s = %v must be positive", key(k), v)
			}
			rs["attention_factor"] = v
			break
		}
	}
	// Mistral's own format (MistralModel) adds an mscale that neither the
	// llama architecture nor transformers' yarn of these families reads the
	// same way; refuse it rather than guess.
	if _, ok := m.file.kv[key("rope.scaling.yarn_log_multiplier")]; ok {
		return fmt.Errorf("metadata %s (Mistral-format YaRN) is not supported; use the Hugging Face checkpoint", key("rope.scaling.yarn_log_multiplier"))
	}
	if m.arch == gptOssArch {
		rs["truncate"] = false
	}
	c["rope_scaling"] = rs
	return nil
}
