package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Config is a model's config.json normalized over the layouts Hugging Face has
// used: the older one (rope_theta, rope_scaling with "type" or "rope_type",
// rotary_pct...) and the one transformers 5 writes (rope_parameters, possibly
// per layer type).
type Config struct {
	// ModelType is the language model's family (for a multimodal wrapper,
	// its text_config's); Wrapper is the wrapper's model_type, or "".
	ModelType    string
	Wrapper      string
	Architecture string // architectures[0]

	Hidden, Intermediate, Layers int
	Heads, KVHeads, HeadDim      int
	Vocab                        int
	NormEps                      float64
	TieEmbeddings                bool
	AttentionBias, MLPBias       bool
	Activation                   string // hidden_activation or hidden_act
	MaxPositions                 int

	// Rope is the rotary embedding of each layer (layers may differ: Gemma 3).
	Rope []RopeConfig
	// Window is each layer's sliding attention window, 0 for full attention.
	Window []int

	// Gemma.
	QueryPreAttnScalar float64
	AttnSoftcap        float64
	FinalSoftcap       float64

	// GPT-NeoX.
	ParallelResidual bool

	// Sparse MoE.
	Experts, ExpertsPerToken, ExpertIntermediate int
	NormTopK                                     bool
	DecoderSparseStep                            int
	MLPOnlyLayers                                []int
	SharedExpertIntermediate                     int // 0: no shared expert

	// Hybrid attention (Qwen3-Next, Qwen 3.5): Linear[l] is true where layer
	// l is a linear-attention (Gated DeltaNet) layer, which keeps no KV cache
	// and has no queries or keys to calibrate. All false elsewhere.
	Linear   []bool
	DeltaNet DeltaNetConfig

	// Per-layer shapes (Gemma 4's global layers): nil when every layer has
	// HeadDim and KVHeads; see HeadDimOf, KVHeadsOf. KVOwner[l] is the layer
	// whose cache layer l reads (itself unless shared); nil without sharing.
	LayerHeadDim, LayerKVHeads []int
	KVOwner                    []int
	Gemma4                     Gemma4

	// Quantization of the stored weights (quantization_config).
	Quant Quantization

	// The optional building blocks (blocks.go).
	Blocks

	// SHA256 of config.json's bytes, for provenance.
	SHA256 string
	raw    map[string]any
	fam    *family
}

// RopeConfig says how rotary position embeddings are computed for a layer.
type RopeConfig struct {
	Type          string // default, linear, dynamic, yarn, llama3, longrope
	Theta         float64
	PartialFactor float64 // share of head_dim that rotates
	Factor        float64
	// llama3
	LowFreqFactor, HighFreqFactor float64
	OriginalMaxPositions          int
	// longrope
	ShortFactor, LongFactor []float64
	AttentionFactor         float64 // 0: derived (longrope, yarn)
	// dynamic: max_position_embeddings, past which the base grows.
	MaxPositions int
	// yarn (rope_scaling.go)
	BetaFast, BetaSlow   float64
	Mscale, MscaleAllDim float64
	Truncate             bool
	// llama_4_scaling_beta (Ministral 3's position-dependent query scale;
	// applied only by the families that read it).
	Llama4Beta float64
}

// maxConfigBytes bounds config.json: real ones are a few kB.
const maxConfigBytes = 16 << 20

// LoadConfig reads and normalizes dir/config.json.
func LoadConfig(dir string) (*Config, error) {
	path := filepath.Join(dir, "config.json")
	f, err := os.Open(path)
	if err != nil {
		// Name what the user gave: the directory when it is the problem.
		var pe *fs.PathError
		if _, serr := os.Stat(dir); errors.As(serr, &pe) {
			return nil, fmt.Errorf("model directory %s: %w", dir, pe.Err)
		} else if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: %w", path, pe.Err)
		}
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB, not a model config", path, maxConfigBytes>>20)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig normalizes the bytes of a config.json.
func ParseConfig(data []byte) (*Config, error) {
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if raw == nil {
		return nil, fmt.Errorf("config is not a JSON object")
	}
	sum := sha256.Sum256(data)
	quant, err := parseQuantization(raw)
	if err != nil {
		return nil, err
	}
	wrapper, raw, err := unwrap(raw)
	if err != nil {
		return nil, err
	}
	c := &Config{raw: raw, SHA256: hex.EncodeToString(sum[:]), Wrapper: wrapper, Quant: quant}
	r := reader{raw: raw}
	c.ModelType = canonicalType(r.str("model_type", ""))
	if archs, ok := raw["architectures"].([]any); ok && len(archs) > 0 {
		c.Architecture, _ = archs[0].(string)
	}
	fam, err := familyFor(c.ModelType, c.Architecture)
	if err != nil {
		return nil, err
	}
	if len(fam.classDefaults) > 0 {
		// A hand-written or pruned config.json, or a wrapper's text_config
		// (saved as a diff against the class), leaves out what its class
		// defaults: read those keys as transformers would.
		raw = maps.Clone(raw)
		for k, v := range fam.classDefaults {
			if _, ok := raw[k]; !ok {
				raw[k] = v
			}
		}
		c.raw, r.raw = raw, raw
	}
	c.Hidden = r.int("hidden_size", 0)
	c.Intermediate = r.int("intermediate_size", 0)
	c.Layers = r.int("num_hidden_layers", 0)
	c.Heads = r.int("num_attention_heads", 0)
	c.KVHeads = r.int("num_key_value_heads", c.Heads)
	c.Vocab = r.int("vocab_size", 0)
	if c.Heads > 0 {
		c.HeadDim = r.int("head_dim", c.Hidden/c.Heads)
	}
	c.NormEps = r.float("rms_norm_eps", r.float("layer_norm_eps", 1e-6))
	c.TieEmbeddings = r.bool("tie_word_embeddings", fam.tieDefault)
	c.AttentionBias = r.bool("attention_bias", fam.biasDefault)
	c.MLPBias = r.bool("mlp_bias", false)
	c.Activation = r.str("hidden_activation", r.str("hidden_act", "silu"))
	if fam.activation != "" {
		c.Activation = r.str("hidden_activation", fam.activation)
	}
	c.MaxPositions = r.int("max_position_embeddings", 0)
	c.QueryPreAttnScalar = r.float("query_pre_attn_scalar", 0)
	c.AttnSoftcap = r.float("attn_logit_softcapping", 0)
	c.FinalSoftcap = r.float("final_logit_softcapping", 0)
	c.ParallelResidual = r.bool("use_parallel_residual", false)
	c.Experts = r.int("num_local_experts", r.int("num_experts", 0))
	c.ExpertsPerToken = r.int("num_experts_per_tok", 0)
	c.ExpertIntermediate = r.int("moe_intermediate_size", c.Intermediate)
	c.NormTopK = r.bool("norm_topk_prob", fam.normTopKDefault)
	c.DecoderSparseStep = r.int("decoder_sparse_step", 1)
	c.MLPOnlyLayers = r.ints("mlp_only_layers")
	c.fam = fam
	c.SharedExpertIntermediate = r.int("shared_expert_intermediate_size", 0)
	if fam.linearAttn {
		c.parseHybrid(&r)
	}
	if fam.gemma4 {
		c.Experts = 0 // its MoE block is its own (Config.Gemma4)
	}
	if r.err != nil {
		return nil, r.err
	}
	if fam.configure != nil {
		if err := fam.configure(c); err != nil {
			return nil, err
		}
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	if fam.config != nil {
		// The family's own keys, once the sizes are known to be sane; they
		// may set sizes, so the checks run again.
		if err := fam.config(c, &r); err != nil {
			return nil, err
		}
		if r.err != nil {
			return nil, r.err
		}
		if err := c.check(); err != nil {
			return nil, err
		}
	}
	if err := c.parseLayers(&r); err != nil {
		return nil, err
	}
	if r.err != nil {
		return nil, r.err
	}
	if fam.linearAttn {
		if err := c.checkHybrid(); err != nil {
			return nil, err
		}
	}
	if fam.gemma4 {
		if err := c.parseGemma4(&r); err != nil {
			return nil, err
		}
		if r.err != nil {
			return nil, r.err
		}
	}
	return c, nil
}

func (c *Config) check() error {
	// Upper bounds far above any published model, so that a hostile config
	// cannot make us allocate per-layer or per-head tables of absurd size.
	for _, f := range []struct {
		name   string
		v, max int
	}{{"hidden_size", c.Hidden, 1 << 17}, {"num_hidden_layers", c.Layers, 1 << 10}, {"num_attention_heads", c.Heads, 1 << 10},
		{"num_key_value_heads", c.KVHeads, 1 << 10}, {"head_dim", c.HeadDim, 1 << 12}, {"vocab_size", c.Vocab, 1 << 23},
		{"intermediate_size", c.Intermediate, 1 << 20}} {
		if f.v <= 0 {
			return fmt.Errorf("%s must be a positive integer, got %d", f.name, f.v)
		}
		if f.v > f.max {
			return fmt.Errorf("%s = %d is not a plausible model size (at most %d)", f.name, f.v, f.max)
		}
	}
	if c.Experts < 0 || c.Experts > 1<<12 {
		return fmt.Errorf("number of experts %d is not plausible (0..%d)", c.Experts, 1<<12)
	}
	if c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("num_attention_heads %d is not a multiple of num_key_value_heads %d", c.Heads, c.KVHeads)
	}
	if c.Experts > 0 && (c.ExpertsPerToken <= 0 || c.ExpertsPerToken > c.Experts) {
		return fmt.Errorf("num_experts_per_tok %d must be in 1..%d", c.ExpertsPerToken, c.Experts)
	}
	if !(c.NormEps > 0) {
		return fmt.Errorf("norm epsilon must be positive, got %v", c.NormEps)
	}
	return nil
}

// parseLayers fills the per-layer RoPE and attention window.
func (c *Config) parseLayers(r *reader) error {
	types, err := c.layerTypes(r)
	if err != nil {
		return err
	}
	window := r.int("sliding_window", 0)
	c.Rope = make([]RopeConfig, c.Layers)
	c.Window = make([]int, c.Layers)
	c.Chunk = nil
	c.Linear = make([]bool, c.Layers)
	for l, t := range types {
		c.Linear[l] = t == "linear_attention"
		rc, err := c.ropeFor(r, t)
		if err != nil {
			return err
		}
		c.Rope[l] = rc
		if t == "sliding_attention" {
			if window <= 0 {
				return fmt.Errorf("layer %d is sliding_attention but sliding_window is not set", l)
			}
			c.Window[l] = window
		}
		if t == "chunked_attention" {
			chunk := r.int("attention_chunk_size", 0)
			if chunk <= 0 {
				return fmt.Errorf("layer %d is chunked_attention but attention_chunk_size is not set", l)
			}
			if c.Chunk == nil {
				c.Chunk = make([]int, c.Layers)
			}
			c.Chunk[l] = chunk
		}
	}
	return nil
}

// layerTypes returns "full_attention", "sliding_attention" or
// "chunked_attention" for every layer, from layer_types when given, else the
// rule the family's transformers code applies to the older config keys.
func (c *Config) layerTypes(r *reader) ([]string, error) {
	types := make([]string, c.Layers)
	if lt, ok := c.raw["layer_types"].([]any); ok {
		if len(lt) != c.Layers {
			return nil, fmt.Errorf("layer_types has %d entries for %d layers", len(lt), c.Layers)
		}
		hybrid := isHybrid(c.ModelType)
		for i, v := range lt {
			s, _ := v.(string)
			if hybrid && (s == "linear_attention" || s == "full_attention") {
				types[i] = s
				continue
			}
			if hybrid {
				return nil, fmt.Errorf("layer_types[%d] = %v: supported for %s are full_attention, linear_attention", i, v, c.ModelType)
			}
			if s != "full_attention" && s != "sliding_attention" && s != "chunked_attention" {
				return nil, fmt.Errorf("layer_types[%d] = %v: supported are full_attention, sliding_attention, chunked_attention", i, v)
			}
			types[i] = s
		}
		return types, nil
	}
	if isHybrid(c.ModelType) {
		return hybridLayerTypes(r, c.Layers)
	}
	window := r.int("sliding_window", 0)
	pattern := r.int("sliding_window_pattern", 0)
	for i := range types {
		if c.fam != nil && c.fam.layerType != nil {
			types[i] = c.fam.layerType(c, r, i)
			continue
		}
		sliding := false
		switch c.ModelType {
		case "gemma2", "gpt_oss":
			sliding = (i+1)%2 != 0
		case "gemma3_text", "gemma3":
			sliding = pattern > 0 && (i+1)%pattern != 0
		case "qwen2", "qwen3", "qwen3_moe", "qwen2_moe":
			sliding = window > 0 && r.bool("use_sliding_window", false) && i >= r.int("max_window_layers", 0)
		case "mistral", "mixtral", "phi3", "ministral3":
			sliding = window > 0
		}
		types[i] = "full_attention"
		if sliding {
			types[i] = "sliding_attention"
		}
	}
	return types, nil
}

// ropeFor reads the RoPE parameters that apply to layers of type layerType.
func (c *Config) ropeFor(r *reader, layerType string) (RopeConfig, error) {
	// Newer layout: rope_parameters, either one dict or one per layer type.
	// transformers takes rope_scaling over rope_parameters when both are
	// there ("rope_scaling or self.rope_parameters"): a wrapper's
	// text_config in the older layout over a class whose default is a
	// rope_parameters dict (Ministral 3).
	var params, top map[string]any
	perType := false // params is the dict of layerType in a per-layer-type rope_parameters
	if rs, ok := c.raw["rope_scaling"].(map[string]any); ok && len(rs) > 0 {
		params, top = rs, rs
	} else if rp, ok := c.raw["rope_parameters"].(map[string]any); ok {
		params, top = rp, rp
		if sub, ok := rp[layerType].(map[string]any); ok {
			params, perType = sub, true
		}
	}
	rc := RopeConfig{Type: "default", Theta: r.float("rope_theta", r.float("rotary_emb_base", 10000)), PartialFactor: 1}
	if c.ModelType == "gemma3_text" || c.ModelType == "gemma3" {
		if _, ok := c.raw["rope_parameters"]; !ok && layerType == "sliding_attention" {
			// Older Gemma 3 layout: local layers use rope_local_base_freq without scaling.
			rc.Theta = r.float("rope_local_base_freq", 10000)
			params = nil
		}
	}
	if c.ModelType == "olmo3" && layerType == "sliding_attention" && params != nil && !perType {
		// OLMo 3 scales RoPE on its full-attention layers only: a single
		// rope dict (rope_scaling, or rope_parameters as transformers 5.0-5.2
		// saved it) gives the sliding layers its theta, unscaled
		// (Olmo3Config.convert_rope_params_to_dict in 5.23, OLMo-core).
		p := reader{raw: params}
		rc.Theta = p.float("rope_theta", rc.Theta)
		if p.err != nil {
			return rc, fmt.Errorf("rope parameters: %w", p.err)
		}
		params = nil
	}
	rc.PartialFactor = r.float("partial_rotary_factor", r.float("rotary_pct", 1))
	rc.OriginalMaxPositions = r.int("original_max_position_embeddings", 0)
	if params != nil {
		p := reader{raw: params}
		rc.Type = p.str("rope_type", p.str("type", "default"))
		rc.Theta = p.float("rope_theta", rc.Theta)
		rc.PartialFactor = p.float("partial_rotary_factor", rc.PartialFactor)
		rc.Factor = p.float("factor", 0)
		rc.LowFreqFactor = p.float("low_freq_factor", 0)
		rc.HighFreqFactor = p.float("high_freq_factor", 0)
		if rc.OriginalMaxPositions == 0 {
			rc.OriginalMaxPositions = p.int("original_max_position_embeddings", 0)
		}
		rc.ShortFactor = p.floats("short_factor")
		rc.LongFactor = p.floats("long_factor")
		rc.AttentionFactor = p.float("attention_factor", 0)
		rc.readScaling(&p, top)
		// Multimodal RoPE (Qwen-VL: mrope_section, mrope_interleaved) rotates
		// sections of each head by the temporal, height and width position
		// ids. For text-only input the three ids are all the token's
		// position, so every section turns by the same angle as in 1-D RoPE
		// with the same frequencies: it is ordinary RoPE here. Qwen2-VL
		// spells this rope type "mrope".
		if rc.Type == "mrope" {
			rc.Type = "default"
		}
		// Phi3Config renames the types of configs written before longrope
		// had its name.
		if c.ModelType == "phi3" && (rc.Type == "su" || rc.Type == "yarn") {
			rc.Type = "longrope"
		}
		if _, ok := params["mrope_section"]; ok {
			sec := p.ints("mrope_section")
			sum := 0
			for _, n := range sec {
				sum += n
			}
			if rotary := int(float64(c.HeadDim) * rc.PartialFactor); sum != rotary/2 {
				return rc, fmt.Errorf("rope: mrope_section %v sums to %d, not half the rotary dimension %d", sec, sum, rotary)
			}
		}
		if p.err != nil {
			return rc, fmt.Errorf("rope parameters: %w", p.err)
		}
	}
	if !(rc.Theta > 0) || !(rc.PartialFactor > 0 && rc.PartialFactor <= 1) {
		return rc, fmt.Errorf("rope: theta %v / partial rotary factor %v out of range", rc.Theta, rc.PartialFactor)
	}
	rotary := int(float64(c.HeadDim) * rc.PartialFactor)
	if rc.OriginalMaxPositions == 0 && (rc.Type == "yarn" || rc.Type == "llama3" || rc.Type == "longrope") {
		rc.OriginalMaxPositions = c.MaxPositions // transformers' standardize_rope_params
	}
	if ok, err := rc.checkScaling(c.MaxPositions); ok && err != nil {
		return rc, err
	} else if ok {
		return rc, checkRotary(rotary, c.HeadDim, rc.PartialFactor)
	}
	switch rc.Type {
	case "default", "proportional":
	case "linear":
		if !(rc.Factor > 0) {
			return rc, fmt.Errorf("rope type linear needs a positive factor")
		}
	case "llama3":
		// Equal factors (Llama 4 Scout: 1 and 1) leave no band between
		// kept and divided frequencies.
		if !(rc.Factor > 0) || !(rc.LowFreqFactor > 0) || !(rc.HighFreqFactor >= rc.LowFreqFactor) || rc.OriginalMaxPositions <= 0 {
			return rc, fmt.Errorf("rope type llama3 needs factor, low_freq_factor <= high_freq_factor and original_max_position_embeddings")
		}
	case "longrope":
		if len(rc.ShortFactor) != rotary/2 || len(rc.LongFactor) != rotary/2 {
			return rc, fmt.Errorf("rope type longrope: short_factor/long_factor need %d entries, have %d/%d", rotary/2, len(rc.ShortFactor), len(rc.LongFactor))
		}
		if rc.OriginalMaxPositions <= 0 {
			return rc, fmt.Errorf("rope type longrope needs original_max_position_embeddings")
		}
		// transformers 5 derives the factor from the context extension only
		// when the rope parameters give none (4.x also did so whenever the
		// original length sat at the top level, as Phi-3 writes it).
		if rc.Factor == 0 {
			rc.Factor = float64(c.MaxPositions) / float64(rc.OriginalMaxPositions)
		}
		if rc.AttentionFactor == 0 {
			rc.AttentionFactor = 1
			if rc.Factor > 1 {
				rc.AttentionFactor = math.Sqrt(1 + math.Log(rc.Factor)/math.Log(float64(rc.OriginalMaxPositions)))
			}
		}
	default:
		return rc, fmt.Errorf("unsupported rope type %q (supported: default, linear, dynamic, yarn, llama3, longrope, proportional)", rc.Type)
	}
	return rc, checkRotary(rotary, c.HeadDim, rc.PartialFactor)
}

func checkRotary(rotary, headDim int, partial float64) error {
	if rotary < 2 || rotary%2 != 0 {
		return fmt.Errorf("rope: rotary dimension %d (head_dim %d x %v) must be even and >= 2", rotary, headDim, partial)
	}
	return nil
}

// isMoELayer reports whether layer l has a sparse MoE MLP (Qwen MoE rules;
// Mixtral has experts on every layer).
func (c *Config) isMoELayer(l int) bool {
	if c.Experts == 0 {
		return false
	}
	for _, m := range c.MLPOnlyLayers {
		if m == l {
			return false
		}
	}
	step := c.DecoderSparseStep
	if step <= 0 {
		step = 1
	}
	return (l+1)%step == 0
}

// reader pulls typed values out of a decoded JSON object, remembering the
// first type error.
type reader struct {
	raw map[string]any
	err error
}

func (r *reader) fail(key, want string, v any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: expected %s, got %v", key, want, v)
	}
}

func (r *reader) float(key string, def float64) float64 {
	v, ok := r.raw[key]
	if !ok || v == nil {
		return def
	}
	f, ok := v.(float64)
	if !ok {
		r.fail(key, "a number", v)
		return def
	}
	return f
}

func (r *reader) int(key string, def int) int {
	v, ok := r.raw[key]
	if !ok || v == nil {
		return def
	}
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<40 {
		r.fail(key, "an integer", v)
		return def
	}
	return int(f)
}

func (r *reader) bool(key string, def bool) bool {
	v, ok := r.raw[key]
	if !ok || v == nil {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		r.fail(key, "true or false", v)
		return def
	}
	return b
}

func (r *reader) str(key, def string) string {
	v, ok := r.raw[key]
	if !ok || v == nil {
		return def
	}
	s, ok := v.(string)
	if !ok {
		r.fail(key, "a string", v)
		return def
	}
	return s
}

func (r *reader) floats(key string) []float64 {
	v, ok := r.raw[key]
	if !ok || v == nil {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		r.fail(key, "a list of numbers", v)
		return nil
	}
	out := make([]float64, len(arr))
	for i, x := range arr {
		f, ok := x.(float64)
		if !ok {
			r.fail(key, "a list of numbers", v)
			return nil
		}
		out[i] = f
	}
	return out
}

func (r *reader) ints(key string) []int {
	fs := r.floats(key)
	out := make([]int, len(fs))
	for i, f := range fs {
		out[i] = int(f)
	}
	return out
}

// SupportedArchitectures lists the model_type values calibrate accepts.
func SupportedArchitectures() []string {
	var names []string
	for _, f := range families {
		names = append(names, f.modelTypes...)
	}
	sort.Strings(names)
	return names
}

func familyFor(modelType, arch string) (*family, error) {
	for _, f := range families {
		for _, mt := range f.modelTypes {
			if mt == modelType {
				return f, nil
			}
		}
	}
	what := fmt.Sprintf("model_type %q", modelType)
	if modelType == "" {
		what = "config without model_type"
	}
	if arch != "" {
		what += fmt.Sprintf(" (%s)", arch)
	}
	return nil, fmt.Errorf("unsupported architecture: %s; supported: %s", what, strings.Join(SupportedArchitectures(), ", "))
}
