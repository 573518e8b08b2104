package model

import "fmt"

// family is an architecture described as data: where its tensors live and
// which of the shared building blocks it uses. Each family file registers
// one in init.
type family struct {
	modelTypes []string
	// classDefaults are the behaviour-setting keys whose transformers class
	// default differs from ParseConfig's generic one (never the sizes that
	// must be given: a missing one stays an error), and the head shapes
	// that have a generic default (classsizes.go).
	classDefaults map[string]any

	embed, finalNorm, lmHead string // full tensor names, without ".weight"
	layer                    string // printf pattern of a layer's prefix, e.g. "model.layers.%d."

	norm normKind

	// Norm roles within a layer ("" when the family has none): before
	// attention, after attention (before the residual add), before the MLP,
	// after the MLP.
	attnNorm, postAttnNorm, preMLPNorm, postMLPNorm string

	// Attention projections: separate q/k/v, or one fused qkv whose rows are
	// [q; k; v] (Phi-3), or one fused qkv laid out per head (GPT-NeoX).
	q, k, v, o string
	qkv        string
	qkvPerHead bool
	oNoBias    bool // o_proj never has a bias, whatever attention_bias says
	// q/k norms: per head over head_dim (Qwen 3, Gemma 3), or over the whole
	// projection (OLMo 2).
	qNorm, kNorm string
	qkNormWhole  bool

	// MLP: gated (down(act(gate)·up)), fused gate_up (Phi-3), or plain
	// (down(act(up)), GPT-NeoX).
	gate, up, down string
	gateUp         string
	plainMLP       bool

	// Sparse MoE: router and per-expert tensors (pattern with the expert index).
	router                                 string
	expert, expertGate, expertUp, expertDn string
	// A shared expert beside the routed ones (Qwen2-MoE, Qwen3-Next): a gated
	// MLP (prefix of its gate/up/down) scaled by sigmoid(sharedGate(x)).
	sharedExpert, sharedExpertGate string

	// Hybrid attention (hybrid.go): linear-attention layers where
	// layer_types says so, and a sigmoid gate on the attention output
	// carried by q_proj (its rows per head: [query; gate]).
	linearAttn bool
	deltaNet   deltaNetNames
	attnGate   bool

	// Gemma 4 (gemma4.go): per-layer shapes, value norm, shared caches,
	// per-layer embeddings, MoE block, layer scalars.
	gemma4 bool

	embedScale bool // multiply embeddings by sqrt(hidden) (Gemma)
	// sinks names gpt-oss's per-head attention sink logits ("" when none).
	sinks string
	// customMLP, when set, loads every layer's MLP (gpt-oss's MoE).
	customMLP func(m *Model, l int) (mlp, error)
	// configure, when set, adjusts the parsed config as the family's
	// transformers config class does (forced values, checks).
	configure func(c *Config) error
	// llama4QueryScale scales post-RoPE queries by position with the rope
	// parameters' llama_4_scaling_beta (Ministral 3).
	llama4QueryScale bool

	// Defaults for config keys the family's transformers config class fills in.
	tieDefault, biasDefault, normTopKDefault bool
	activation                               string // forced default for hidden_activation
	// attnScale returns the attention score scale; nil means 1/sqrt(head_dim).
	attnScale func(c *Config) float64

	// The building blocks of blocks.go that are the family's, not its
	// config's: L2 q/k norm after RoPE (Llama 4), and the MoE variants of
	// moe_load.go (routing rule, router bias, shared expert, experts stored
	// as 3-D tensors).
	qkL2                   bool
	routing                routing
	routerBias             string // router's score correction bias, full role ("mlp.gate.e_score_correction_bias")
	shared                 string // shared expert's prefix, with expertGate/Up/Dn ("mlp.shared_experts.")
	fusedGateUp, fusedDown string // experts as [E][2I][H] and [E][H][I] tensors (full roles)
	fusedInOut             bool   // ... stored transposed, [E][H][2I] and [E][I][H] (Llama 4)

	// config reads the family's own keys into c (after the generic ones,
	// before the per-layer ones); layerType gives layer i's type when
	// layer_types is absent (nil: the generic rules of Config.layerTypes).
	config    func(c *Config, r *reader) error
	layerType func(c *Config, r *reader, i int) string
}

type normKind int

const (
	rmsNorm         normKind = iota
	rmsNormPlusOne           // Gemma: x̂ · (1 + w)
	layerNorm                // with bias
	layerNormNoBias          // LayerNorm without bias (Cohere)
)

var families []*family

func register(f *family) { families = append(families, f) }

func (f *family) layerName(l int, role string) string {
	return fmt.Sprintf(f.layer, l) + role
}
