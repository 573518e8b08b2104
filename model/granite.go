package model

import "fmt"

// Granite 3.x is the Llama block with four multipliers: on the embeddings,
// on each sub-block's output before the residual add, as the attention
// score scale (instead of 1/sqrt(head_dim)), and logits divided by
// logits_scaling. Granite MoE routes over experts stored as 3-D tensors
// (input_linear [E][2I][H], gate rows first; output_linear [E][H][I]),
// softmax over the top-k logits.
var graniteFamily = func() *family {
	f := *llamaFamily
	f.modelTypes = []string{"granite"}
	f.config = graniteMultipliers
	return &f
}()

var graniteMoEFamily = func() *family {
	f := *graniteFamily
	f.modelTypes = []string{"granitemoe"}
	f.gate, f.up, f.down = "", "", ""
	f.router = "block_sparse_moe.router.layer"
	f.fusedGateUp, f.fusedDown = "block_sparse_moe.input_linear.weight", "block_sparse_moe.output_linear.weight"
	// Split per expert, as a GGUF presents them.
	f.expert, f.expertGate, f.expertUp, f.expertDn = "block_sparse_moe.experts.%d.", "gate_proj", "up_proj", "down_proj"
	f.normTopKDefault = true // softmax over the top k alone
	// GraniteMoeConfig's defaults.
	f.classDefaults = map[string]any{"num_local_experts": 8.0, "num_experts_per_tok": 2.0}
	return &f
}()

func graniteMultipliers(c *Config, r *reader) error {
	c.EmbedMultiplier = r.float("embedding_multiplier", 1)
	c.ResidualMultiplier = r.float("residual_multiplier", 1)
	c.AttentionMultiplier = r.float("attention_multiplier", 1)
	ls := r.float("logits_scaling", 1)
	for _, v := range []float64{c.EmbedMultiplier, c.ResidualMultiplier, c.AttentionMultiplier, ls} {
		if !(v > 0) || v > 1e6 {
			return fmt.Errorf("granite multipliers must be positive and finite: embedding %v, residual %v, attention %v, logits_scaling %v",
				c.EmbedMultiplier, c.ResidualMultiplier, c.AttentionMultiplier, ls)
		}
	}
	c.LogitScale = 1 / ls
	return nil
}

func init() {
	register(graniteFamily)
	register(graniteMoEFamily)
	// GraniteConfig's and GraniteMoeConfig's sizes, for a wrapper's text_config.
	granite := map[string]any{"vocab_size": 32000.0, "hidden_size": 4096.0, "intermediate_size": 11008.0,
		"num_hidden_layers": 32.0, "num_attention_heads": 32.0, "max_position_embeddings": 2048.0, "rms_norm_eps": 1e-6}
	textDefaults["granite"], textDefaults["granitemoe"] = granite, granite
}
