package model

// Sparse mixture-of-experts families: the attention of their dense sibling,
// an MLP routed over experts. Mixtral always renormalizes the top-k weights;
// Qwen 3 MoE does when norm_topk_prob says so.
var mixtralFamily = func() *family {
	f := *llamaFamily
	f.modelTypes = []string{"mixtral"}
	f.router = "block_sparse_moe.gate"
	f.expert = "block_sparse_moe.experts.%d."
	f.expertGate, f.expertUp, f.expertDn = "w1", "w3", "w2"
	f.normTopKDefault = true
	// MixtralConfig's defaults.
	f.classDefaults = map[string]any{"rms_norm_eps": 1e-5, "rope_theta": 1e6}
	return &f
}()

var qwen3MoEFamily = func() *family {
	f := *qwen3Family
	f.modelTypes = []string{"qwen3_moe"}
	f.router = "mlp.gate"
	f.expert = "mlp.experts.%d."
	f.expertGate, f.expertUp, f.expertDn = "gate_proj", "up_proj", "down_proj"
	return &f
}()

func init() {
	register(mixtralFamily)
	register(qwen3MoEFamily)
}
