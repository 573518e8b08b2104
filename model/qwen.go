package model

// Qwen 2/2.5 (and DeepSeek-R1-Distill-Qwen) is the Llama layout with biases on
// q/k/v but never on o_proj; attention_bias is absent from its config and
// implied true. Qwen 3 drops the biases and adds per-head RMSNorm on q and k
// before RoPE.
var qwen2Family = func() *family {
	f := *llamaFamily
	f.modelTypes = []string{"qwen2"}
	f.biasDefault = true
	f.oNoBias = true
	return &f
}()

var qwen3Family = func() *family {
	f := *llamaFamily
	f.modelTypes = []string{"qwen3"}
	f.qNorm, f.kNorm = "self_attn.q_norm", "self_attn.k_norm"
	return &f
}()

func init() {
	register(qwen2Family)
	register(qwen3Family)
}
