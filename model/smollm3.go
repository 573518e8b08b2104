package model

// SmolLM3 is the Llama block with NoPE layers: no_rope_layers says which
// layers apply RoPE (1) and which none (0), by default every
// no_rope_layer_interval-th layer is NoPE. SmolLM3Config ties the
// embeddings; with use_sliding_window and no layer_types, its NoPE layers
// are the sliding ones.
var smollm3Family = func() *family {
	f := *llamaFamily
	f.modelTypes = []string{"smollm3"}
	f.tieDefault = true
	f.classDefaults = map[string]any{"rope_theta": 2e6} // SmolLM3Config's
	f.config = func(c *Config, r *reader) (err error) {
		c.NoRoPE, err = noRoPELayers(c, r)
		return err
	}
	f.layerType = func(c *Config, r *reader, i int) string {
		if r.bool("use_sliding_window", false) && r.int("sliding_window", 0) > 0 && c.NoRoPE[i] {
			return "sliding_attention"
		}
		return "full_attention"
	}
	return &f
}()

func init() {
	register(smollm3Family)
	// SmolLM3Config's sizes, for a wrapper's text_config.
	textDefaults["smollm3"] = map[string]any{"vocab_size": 128256.0, "hidden_size": 2048.0, "intermediate_size": 11008.0,
		"num_hidden_layers": 36.0, "num_attention_heads": 16.0, "num_key_value_heads": 4.0,
		"max_position_embeddings": 32768.0, "rms_norm_eps": 1e-6}
}
