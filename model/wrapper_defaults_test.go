package model

import "testing"

// TestWrapperTextDefaults: a text_config reduced to what transformers cannot
// leave out gives the defaults of the text config class it names. The
// expected values are read in the transformers source, not taken from
// textDefaults: Gemma3TextConfig (4.50 and 5), LlamaConfig, MistralConfig,
// Qwen2Config, Qwen2VLConfig / Qwen2_5_VLConfig (4.45-4.49, top level) and
// Qwen2_5_VLTextConfig, Qwen3VLTextConfig (4.57).
func TestWrapperTextDefaults(t *testing.T) {
	const lr = `"architectures": ["LlavaForConditionalGeneration"], "model_type": "llava"`
	for _, c := range []struct {
		name, config string
		want         wantText
	}{
		{"gemma3", `{"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3", "text_config": {"model_type": "gemma3_text"}}`,
			wantText{wrapper: "gemma3", text: "gemma3_text", arch: "Gemma3ForConditionalGeneration",
				layers: 26, hidden: 2304, inter: 9216, heads: 8, kv: 4, headDim: 256, vocab: 262208,
				eps: 1e-6, tie: true, maxPos: 131072, activation: "gelu_pytorch_tanh", queryScalar: 256,
				global: wantRope{"default", 1e6, 0}, local: wantRope{"default", 1e4, 0}, window: 4096, pattern: 6}},
		// LlavaConfig makes a text_config without model_type a LlamaConfig.
		{"llava", `{` + lr + `, "text_config": {}}`,
			wantText{wrapper: "llava", text: "llama", arch: "LlavaForConditionalGeneration",
				layers: 32, hidden: 4096, inter: 11008, heads: 32, kv: 32, headDim: 128, vocab: 32000,
				eps: 1e-6, maxPos: 2048, activation: "silu", global: wantRope{"default", 1e4, 0}}},
		// Mistral3Config makes it a MistralConfig: sliding_window 4096 on
		// every layer.
		{"mistral3", `{"architectures": ["Mistral3ForConditionalGeneration"], "model_type": "mistral3", "text_config": {}}`,
			wantText{wrapper: "mistral3", text: "mistral", arch: "Mistral3ForConditionalGeneration",
				layers: 32, hidden: 4096, inter: 14336, heads: 32, kv: 8, headDim: 128, vocab: 32000,
				eps: 1e-6, maxPos: 131072, activation: "silu", global: wantRope{"default", 1e4, 0},
				local: wantRope{"default", 1e4, 0}, window: 4096}},
		{"llava-qwen2", `{` + lr + `, "text_config": {"model_type": "qwen2"}}`,
			wantText{wrapper: "llava", text: "qwen2", arch: "LlavaForConditionalGeneration",
				layers: 32, hidden: 4096, inter: 22016, heads: 32, kv: 32, headDim: 128, vocab: 151936,
				eps: 1e-6, maxPos: 32768, activation: "silu", global: wantRope{"default", 1e4, 0}}},
		// Qwen2Config: with use_sliding_window, layers from max_window_layers
		// 28 on slide over sliding_window 4096.
		{"llava-qwen2-sliding", `{` + lr + `, "text_config": {"model_type": "qwen2", "use_sliding_window": true}}`,
			wantText{wrapper: "llava", text: "qwen2", arch: "LlavaForConditionalGeneration",
				layers: 32, hidden: 4096, inter: 22016, heads: 32, kv: 32, headDim: 128, vocab: 151936,
				eps: 1e-6, maxPos: 32768, activation: "silu", global: wantRope{"default", 1e4, 0},
				local: wantRope{"default", 1e4, 0}, window: 4096, from: 28}},
		{"qwen2_vl-top", `{"architectures": ["Qwen2VLForConditionalGeneration"], "model_type": "qwen2_vl"}`,
			wantText{wrapper: "qwen2_vl", text: "qwen2", arch: "Qwen2VLForConditionalGeneration",
				layers: 80, hidden: 8192, inter: 29568, heads: 64, kv: 8, headDim: 128, vocab: 152064,
				eps: 1e-5, maxPos: 32768, activation: "silu", global: wantRope{"default", 1e6, 0}}},
		// Qwen2-VL's sliding_window 4096 and max_window_layers 80 (not
		// Qwen2Config's 28).
		{"qwen2_vl-top-sliding", `{"architectures": ["Qwen2VLForConditionalGeneration"], "model_type": "qwen2_vl",
			"num_hidden_layers": 82, "use_sliding_window": true}`,
			wantText{wrapper: "qwen2_vl", text: "qwen2", arch: "Qwen2VLForConditionalGeneration",
				layers: 82, hidden: 8192, inter: 29568, heads: 64, kv: 8, headDim: 128, vocab: 152064,
				eps: 1e-5, maxPos: 32768, activation: "silu", global: wantRope{"default", 1e6, 0},
				local: wantRope{"default", 1e6, 0}, window: 4096, from: 80}},
		{"qwen2_5_vl-text-sliding", `{"architectures": ["Qwen2_5_VLForConditionalGeneration"], "model_type": "qwen2_5_vl",
			"text_config": {"model_type": "qwen2_5_vl_text", "num_hidden_layers": 82, "use_sliding_window": true}}`,
			wantText{wrapper: "qwen2_5_vl", text: "qwen2", arch: "Qwen2_5_VLForConditionalGeneration",
				layers: 82, hidden: 8192, inter: 29568, heads: 64, kv: 8, headDim: 128, vocab: 152064,
				eps: 1e-5, maxPos: 32768, activation: "silu", global: wantRope{"default", 1e6, 0},
				local: wantRope{"default", 1e6, 0}, window: 4096, from: 80}},
		{"qwen3_vl", `{"architectures": ["Qwen3VLForConditionalGeneration"], "model_type": "qwen3_vl", "text_config": {"model_type": "qwen3_vl_text"}}`,
			wantText{wrapper: "qwen3_vl", text: "qwen3", arch: "Qwen3VLForConditionalGeneration",
				layers: 32, hidden: 4096, inter: 22016, heads: 32, kv: 32, headDim: 128, vocab: 151936,
				eps: 1e-6, maxPos: 128000, activation: "silu", global: wantRope{"default", 5e6, 0}}},
		// The other families a LLaVA text_config may name.
		{"llava-gemma2", `{` + lr + `, "text_config": {"model_type": "gemma2"}}`,
			wantText{wrapper: "llava", text: "gemma2", arch: "LlavaForConditionalGeneration",
				layers: 26, hidden: 2304, inter: 9216, heads: 8, kv: 4, headDim: 256, vocab: 256000,
				eps: 1e-6, tie: true, maxPos: 8192, activation: "gelu_pytorch_tanh", queryScalar: 256,
				attnCap: 50, finalCap: 30, global: wantRope{"default", 1e4, 0}, local: wantRope{"default", 1e4, 0},
				window: 4096, pattern: 2}},
		{"llava-gpt_neox", `{` + lr + `, "text_config": {"model_type": "gpt_neox"}}`,
			wantText{wrapper: "llava", text: "gpt_neox", arch: "LlavaForConditionalGeneration",
				layers: 44, hidden: 6144, inter: 24576, heads: 64, kv: 64, headDim: 96, vocab: 50432,
				eps: 1e-5, maxPos: 2048, activation: "gelu", global: wantRope{"default", 1e4, 0},
				partial: 0.25, parallel: true}},
		{"llava-mixtral", `{` + lr + `, "text_config": {"model_type": "mixtral"}}`,
			wantText{wrapper: "llava", text: "mixtral", arch: "LlavaForConditionalGeneration",
				layers: 32, hidden: 4096, inter: 14336, heads: 32, kv: 8, headDim: 128, vocab: 32000,
				eps: 1e-5, maxPos: 131072, activation: "silu", global: wantRope{"default", 1e6, 0},
				experts: 8, perTok: 2, expertI: 14336}},
		{"llava-olmo2", `{` + lr + `, "text_config": {"model_type": "olmo2"}}`,
			wantText{wrapper: "llava", text: "olmo2", arch: "LlavaForConditionalGeneration",
				layers: 32, hidden: 4096, inter: 11008, heads: 32, kv: 32, headDim: 128, vocab: 50304,
				eps: 1e-5, maxPos: 2048, activation: "silu", global: wantRope{"default", 1e4, 0}}},
		{"llava-phi3", `{` + lr + `, "text_config": {"model_type": "phi3"}}`,
			wantText{wrapper: "llava", text: "phi3", arch: "LlavaForConditionalGeneration",
				layers: 32, hidden: 3072, inter: 8192, heads: 32, kv: 32, headDim: 96, vocab: 32064,
				eps: 1e-5, maxPos: 4096, activation: "silu", global: wantRope{"default", 1e4, 0}}},
		{"llava-qwen3", `{` + lr + `, "text_config": {"model_type": "qwen3", "use_sliding_window": true}}`,
			wantText{wrapper: "llava", text: "qwen3", arch: "LlavaForConditionalGeneration",
				layers: 32, hidden: 4096, inter: 22016, heads: 32, kv: 32, headDim: 128, vocab: 151936,
				eps: 1e-6, maxPos: 32768, activation: "silu", global: wantRope{"default", 1e4, 0},
				local: wantRope{"default", 1e4, 0}, window: 4096, from: 28}},
		{"llava-qwen3_moe", `{` + lr + `, "text_config": {"model_type": "qwen3_moe"}}`,
			wantText{wrapper: "llava", text: "qwen3_moe", arch: "LlavaForConditionalGeneration",
				layers: 24, hidden: 2048, inter: 6144, heads: 32, kv: 4, headDim: 64, vocab: 151936,
				eps: 1e-6, maxPos: 32768, activation: "silu", global: wantRope{"default", 1e4, 0},
				experts: 128, perTok: 8, expertI: 768}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(c.config))
			if err != nil {
				t.Fatal(err)
			}
			c.want.check(t, cfg)
		})
	}
}

// TestEveryTextFamilyHasDefaults: a wrapper may name any supported family in
// its text_config, so each needs its class defaults; without them an omitted
// key would silently take ParseConfig's generic default.
func TestEveryTextFamilyHasDefaults(t *testing.T) {
	for _, mt := range SupportedArchitectures() {
		if _, ok := textDefaults[mt]; !ok {
			t.Errorf("textDefaults has no entry for %s", mt)
		}
	}
}
