package model

import "testing"

// TestWrapperConfigsAsPublished: text_configs saved as transformers saves
// nested configs (only the keys that differ from the class defaults), in the
// shape of real releases, get the defaults back.
func TestWrapperConfigsAsPublished(t *testing.T) {
	// google/gemma-3-4b-it's config.json, vision_config shortened.
	gemma := `{"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3", "mm_tokens_per_image": 256,
		"text_config": {"hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text", "num_hidden_layers": 34,
			"rope_scaling": {"factor": 8.0, "rope_type": "linear"}, "sliding_window": 1024},
		"vision_config": {"model_type": "siglip_vision_model"}}`
	c, err := ParseConfig([]byte(gemma))
	if err != nil {
		t.Fatal(err)
	}
	if c.ModelType != "gemma3_text" || c.Wrapper != "gemma3" || c.ReportedType() != "gemma3" || c.Architecture != "Gemma3ForConditionalGeneration" ||
		c.Heads != 8 || c.KVHeads != 4 || c.HeadDim != 256 || c.Vocab != 262208 || c.QueryPreAttnScalar != 256 || !c.TieEmbeddings {
		t.Errorf("gemma 3 4B: %+v", c)
	}
	for l, w := range c.Window {
		global := (l+1)%6 == 0
		if global != (w == 0) || (!global && (w != 1024 || c.Rope[l].Theta != 10000 || c.Rope[l].Type != "default")) ||
			(global && (c.Rope[l].Theta != 1e6 || c.Rope[l].Type != "linear" || c.Rope[l].Factor != 8)) {
			t.Errorf("gemma 3 4B layer %d: window %d, rope %+v", l, w, c.Rope[l])
		}
	}
	// llava-hf/llava-1.5-7b-hf's text_config.
	llava := `{"architectures": ["LlavaForConditionalGeneration"], "model_type": "llava", "image_token_index": 32000,
		"text_config": {"architectures": ["LlamaForCausalLM"], "max_position_embeddings": 4096, "model_type": "llama",
			"rms_norm_eps": 1e-05, "torch_dtype": "float16", "vocab_size": 32064}, "vision_config": {"model_type": "clip_vision_model"}}`
	if c, err = ParseConfig([]byte(llava)); err != nil {
		t.Fatal(err)
	}
	if c.Hidden != 4096 || c.Layers != 32 || c.Heads != 32 || c.KVHeads != 32 || c.Intermediate != 11008 || c.Vocab != 32064 ||
		c.NormEps != 1e-5 || c.TieEmbeddings || c.Rope[0].Theta != 10000 || c.Architecture != "LlavaForConditionalGeneration" {
		t.Errorf("llava 1.5: %+v", c)
	}
	// Qwen3-VL keeps tie_word_embeddings at the top level.
	qwen := `{"architectures": ["Qwen3VLForConditionalGeneration"], "model_type": "qwen3_vl", "tie_word_embeddings": true,
		"text_config": {"model_type": "qwen3_vl_text", "hidden_size": 2048, "intermediate_size": 6144, "num_hidden_layers": 28,
			"num_attention_heads": 16, "num_key_value_heads": 8, "rope_scaling": {"mrope_interleaved": true, "mrope_section": [24, 20, 20], "rope_type": "default"}}}`
	if c, err = ParseConfig([]byte(qwen)); err != nil {
		t.Fatal(err)
	}
	if c.ModelType != "qwen3" || !c.TieEmbeddings || c.HeadDim != 128 || c.Rope[0].Theta != 5e6 || c.Rope[0].Type != "default" {
		t.Errorf("qwen3-vl: %+v", c)
	}
}
