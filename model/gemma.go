package model

import (
	"fmt"
	"math"
)

// Gemma 2 and 3: embeddings scaled by sqrt(hidden), RMSNorm with (1 + w),
// norms before and after both sub-blocks, GELU-tanh MLP, scores scaled by
// query_pre_attn_scalar^-1/2, sliding-window layers. Gemma 2 soft-caps
// attention and final logits (from the config); Gemma 3 adds per-head q/k
// norms and per-layer-type RoPE (from the config).
var gemma2Family = &family{
	modelTypes:   []string{"gemma2"},
	embed:        "model.embed_tokens",
	finalNorm:    "model.norm",
	lmHead:       "lm_head",
	layer:        "model.layers.%d.",
	norm:         rmsNormPlusOne,
	attnNorm:     "input_layernorm",
	postAttnNorm: "post_attention_layernorm",
	preMLPNorm:   "pre_feedforward_layernorm",
	postMLPNorm:  "post_feedforward_layernorm",
	q:            "self_attn.q_proj",
	k:            "self_attn.k_proj",
	v:            "self_attn.v_proj",
	o:            "self_attn.o_proj",
	gate:         "mlp.gate_proj",
	up:           "mlp.up_proj",
	down:         "mlp.down_proj",
	embedScale:   true,
	tieDefault:   true,
	activation:   "gelu_pytorch_tanh",
	attnScale:    func(c *Config) float64 { return 1 / math.Sqrt(c.QueryPreAttnScalar) },
	// Gemma2Config's defaults: without them a config leaving out
	// query_pre_attn_scalar would scale scores by 1/sqrt(0).
	classDefaults: map[string]any{"query_pre_attn_scalar": 256.0, "sliding_window": 4096.0,
		"attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0},
}

var gemma3Family = func() *family {
	f := *gemma2Family
	f.modelTypes = []string{"gemma3_text"}
	f.configure = refuseBidirectional
	f.qNorm, f.kNorm = "self_attn.q_norm", "self_attn.k_norm"
	// Gemma3TextConfig's: no soft-capping, five sliding layers per global one.
	f.classDefaults = map[string]any{"query_pre_attn_scalar": 256.0, "sliding_window": 4096.0,
		"sliding_window_pattern": 6.0, "rope_theta": 1e6, "rope_local_base_freq": 10000.0}
	return &f
}()

func init() {
	register(gemma2Family)
	register(gemma3Family)
}

// refuseBidirectional refuses a Gemma 3 / Gemma 4 text model whose tokens
// attend both ways: use_bidirectional_attention true (EmbeddingGemma) or,
// for Gemma 4, "all" (its "vision" concerns image tokens only). Its
// queries would be those of a causal model, and an encoder keeps no KV
// cache to filter.
func refuseBidirectional(c *Config) error {
	v := c.raw["use_bidirectional_attention"]
	if v == nil || v == false || v == "vision" && c.ModelType == "gemma4_text" {
		return nil
	}
	return fmt.Errorf("use_bidirectional_attention = %v: the model attends bidirectionally (an encoder, e.g. EmbeddingGemma); only causal language models are supported", v)
}
