package model

// Phi-3, Phi-3.5 and Phi-4-mini: the Llama block with fused qkv_proj (rows
// [q; k; v]) and gate_up_proj (rows [gate; up]); RoPE may be longrope and
// partial (partial_rotary_factor), both handled by the config.
var phi3Family = func() *family {
	f := *llamaFamily
	f.modelTypes = []string{"phi3"}
	f.q, f.k, f.v = "", "", ""
	f.qkv = "self_attn.qkv_proj"
	f.gate, f.up = "", ""
	f.gateUp = "mlp.gate_up_proj"
	f.classDefaults = map[string]any{"rms_norm_eps": 1e-5} // Phi3Config's
	return &f
}()

func init() { register(phi3Family) }
