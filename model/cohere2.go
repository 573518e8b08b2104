package model

import "fmt"

// Cohere 2 (Command R7B, Command A): one LayerNorm without bias feeds
// attention and MLP in parallel (h + attn(ln(h)) + mlp(ln(h))); sliding
// layers rotate interleaved pairs, global (full_attention) layers use no
// position embedding at all; logits are multiplied by logit_scale. Without
// layer_types, transformers 5 makes three sliding layers per global one
// (it reads no sliding_window_pattern).
var cohere2Family = func() *family {
	f := *llamaFamily
	f.modelTypes = []string{"cohere2"}
	f.norm = layerNormNoBias
	f.preMLPNorm = ""
	f.tieDefault = true
	f.config = func(c *Config, r *reader) error {
		c.ParallelResidual = true
		c.RopeInterleaved = true
		c.LogitScale = r.float("logit_scale", 0.0625)
		types, err := c.layerTypes(r)
		if err != nil {
			return err
		}
		c.NoRoPE = make([]bool, c.Layers)
		for l, t := range types {
			if t == "chunked_attention" {
				return fmt.Errorf("layer_types[%d] = chunked_attention: Cohere 2 has sliding and full layers only", l)
			}
			c.NoRoPE[l] = t == "full_attention"
		}
		return nil
	}
	f.layerType = func(_ *Config, _ *reader, i int) string {
		if (i+1)%4 != 0 {
			return "sliding_attention"
		}
		return "full_attention"
	}
	// Cohere2Config's.
	f.classDefaults = map[string]any{"layer_norm_eps": 1e-5, "sliding_window": 4096.0}
	return &f
}()

func init() {
	register(cohere2Family)
	// Cohere2Config's sizes, for a wrapper's text_config.
	textDefaults["cohere2"] = map[string]any{"vocab_size": 256000.0, "hidden_size": 8192.0, "intermediate_size": 22528.0,
		"num_hidden_layers": 40.0, "num_attention_heads": 64.0, "max_position_embeddings": 8192.0, "layer_norm_eps": 1e-5}
}
