package model

import "fmt"

// family is an architecture described as data: where its tensors live and
// which of the shared building blocks it uses. Each family file registers
// one in init.
type family struct {
	modelTypes []string
	// classDefaults are the behaviour-setting keys whose transformers class
	// default differs from ParseConfig's generic one (never sizes: a
	// missing size stays an error).
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

	// Defaults for config keys the family's transformers config class fills in.
	tieDefault, biasDefault, normTopKDefault bool
	activation                               string // forced default for hidden_activation
	// attnScale returns the attention score scale; nil means 1/sqrt(head_dim).
	attnScale func(c *Config) float64
}

type normKind int

const (
	rmsNorm        normKind = iota
	rmsNormPlusOne          // Gemma: x̂ · (1 + w)
	layerNorm               // with bias
)

var families []*family

func register(f *family) { families = append(families, f) }

func (f *family) layerName(l int, role string) string {
	return fmt.Sprintf(f.layer, l) + role
}
