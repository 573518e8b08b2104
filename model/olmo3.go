package model

// OLMo 3 is OLMo 2 (norms after the sub-blocks, q/k RMS-normed over the
// whole projection) with sliding-window layers: layer_types, by default
// three sliding layers then a full one.
var olmo3Family = func() *family {
	f := *olmo2Family
	f.modelTypes = []string{"olmo3"}
	f.classDefaults = map[string]any{"rms_norm_eps": 1e-5, "sliding_window": 4096.0} // Olmo3Config's
	f.layerType = func(_ *Config, _ *reader, i int) string {
		if (i+1)%4 != 0 {
			return "sliding_attention"
		}
		return "full_attention"
	}
	return &f
}()

func init() {
	register(olmo3Family)
	// Olmo3Config's sizes, for a wrapper's text_config.
	textDefaults["olmo3"] = map[string]any{"vocab_size": 50304.0, "hidden_size": 4096.0, "intermediate_size": 11008.0,
		"num_hidden_layers": 32.0, "num_attention_heads": 32.0, "max_position_embeddings": 2048.0, "rms_norm_eps": 1e-5}
}
