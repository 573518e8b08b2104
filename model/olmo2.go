package model

// OLMo 2 normalizes after each sub-block instead of before (no input norm),
// and RMS-normalizes q and k over the whole projection, before splitting
// into heads and RoPE.
var olmo2Family = func() *family {
	f := *llamaFamily
	f.modelTypes = []string{"olmo2"}
	f.attnNorm, f.preMLPNorm = "", ""
	f.postAttnNorm = "post_attention_layernorm"
	f.postMLPNorm = "post_feedforward_layernorm"
	f.qNorm, f.kNorm = "self_attn.q_norm", "self_attn.k_norm"
	f.qkNormWhole = true
	f.classDefaults = map[string]any{"rms_norm_eps": 1e-5} // Olmo2Config's
	return &f
}()

func init() { register(olmo2Family) }
