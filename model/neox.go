package model

// GPT-NeoX / Pythia: LayerNorm with bias, one fused query_key_value laid out
// per head, partial rotary (rotary_pct), biases everywhere, exact-erf GELU
// MLP, and (use_parallel_residual) attention and MLP both fed from the block
// input.
var neoxFamily = &family{
	modelTypes:  []string{"gpt_neox"},
	embed:       "gpt_neox.embed_in",
	finalNorm:   "gpt_neox.final_layer_norm",
	lmHead:      "embed_out",
	layer:       "gpt_neox.layers.%d.",
	norm:        layerNorm,
	attnNorm:    "input_layernorm",
	preMLPNorm:  "post_attention_layernorm",
	qkv:         "attention.query_key_value",
	qkvPerHead:  true,
	o:           "attention.dense",
	up:          "mlp.dense_h_to_4h",
	down:        "mlp.dense_4h_to_h",
	plainMLP:    true,
	biasDefault: true,
	// GPTNeoXConfig's defaults.
	classDefaults: map[string]any{"hidden_act": "gelu", "rotary_pct": 0.25, "use_parallel_residual": true,
		"layer_norm_eps": 1e-5, "rotary_emb_base": 10000.0},
}

func init() { register(neoxFamily) }
