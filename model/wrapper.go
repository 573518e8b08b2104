package model

import (
	"fmt"
	"maps"
	"sort"
	"strings"
)

// Multimodal checkpoints wrap a supported language model. We calibrate the
// language model alone: its config is the wrapper's text_config (or, in the
// original Qwen2-VL and Qwen2.5-VL releases, the top level), and only its
// tensors are read (namesFor maps them; vision towers and projectors are never
// looked at).

// wrapperText gives, per wrapper model_type, the text model_type to assume
// when text_config does not say.
var wrapperText = map[string]string{
	"gemma3":     "gemma3_text", // Gemma3ForConditionalGeneration
	"mistral3":   "mistral",     // Mistral3ForConditionalGeneration
	"llava":      "llama",       // LlavaForConditionalGeneration
	"qwen2_vl":   "qwen2_vl_text",
	"qwen2_5_vl": "qwen2_5_vl_text",
	"qwen3_vl":   "qwen3_vl_text",
}

// textAliases are text model_types that are a supported family under
// another name: the Qwen-VL language models are Qwen 2 / Qwen 3 with
// multimodal RoPE, which is 1-D RoPE for text (see ropeFor).
var textAliases = map[string]string{
	"qwen2_vl_text":   "qwen2",
	"qwen2_5_vl_text": "qwen2",
	"qwen3_vl_text":   "qwen3",
}

// textDefaults are the defaults of transformers' text config classes for the
// keys a wrapper's text_config may omit. transformers saves a nested config as
// a diff, leaving out keys equal to the class defaults: llava-1.5's
// text_config has no hidden_size, Gemma 3 4B's no num_attention_heads. Each
// value is read in the class's source (configuration_<model>.py): the versions
// that wrote the published files (4.36 LLaVA 1.5, 4.45-4.50 Qwen2-VL, Gemma 3,
// Mistral 3, 4.57 Qwen3-VL) and transformers 5 agree on all of them but one:
// transformers 5's Qwen3VLTextConfig takes rope_theta 5e5 when none is given
// where 4.57 took 5e6; published Qwen3-VL configs all write it. See
// testdata/wrappers/README.md.
var textDefaults = map[string]map[string]any{
	// LlamaConfig; also LLaVA's text_config when it names no model_type.
	"llama": {"vocab_size": 32000.0, "hidden_size": 4096.0, "intermediate_size": 11008.0, "num_hidden_layers": 32.0,
		"num_attention_heads": 32.0, "max_position_embeddings": 2048.0, "rms_norm_eps": 1e-6, "rope_theta": 10000.0},
	// MistralConfig; Mistral3Config's text_config without a model_type.
	"mistral": {"vocab_size": 32000.0, "hidden_size": 4096.0, "intermediate_size": 14336.0, "num_hidden_layers": 32.0,
		"num_attention_heads": 32.0, "num_key_value_heads": 8.0, "max_position_embeddings": 131072.0, "rms_norm_eps": 1e-6,
		"rope_theta": 10000.0, "sliding_window": 4096.0},
	// Qwen2Config (LLaVA-Interleave).
	"qwen2": {"vocab_size": 151936.0, "hidden_size": 4096.0, "intermediate_size": 22016.0, "num_hidden_layers": 32.0,
		"num_attention_heads": 32.0, "num_key_value_heads": 32.0, "max_position_embeddings": 32768.0, "rms_norm_eps": 1e-6,
		"rope_theta": 10000.0, "sliding_window": 4096.0, "max_window_layers": 28.0},
	// Gemma3TextConfig: 5 sliding layers, then a global one.
	"gemma3_text": {"vocab_size": 262208.0, "hidden_size": 2304.0, "intermediate_size": 9216.0, "num_hidden_layers": 26.0,
		"num_attention_heads": 8.0, "num_key_value_heads": 4.0, "head_dim": 256.0, "max_position_embeddings": 131072.0,
		"rms_norm_eps": 1e-6, "rope_theta": 1e6, "rope_local_base_freq": 10000.0, "query_pre_attn_scalar": 256.0,
		"sliding_window": 4096.0, "sliding_window_pattern": 6.0},
	"qwen2_vl_text": qwenVLTextDefaults, "qwen2_5_vl_text": qwenVLTextDefaults,
	// GptOssConfig's sizes (its behaviour keys are the family's classDefaults).
	"gpt_oss": {"vocab_size": 201088.0, "hidden_size": 2880.0, "intermediate_size": 2880.0, "num_hidden_layers": 36.0,
		"num_attention_heads": 64.0, "num_key_value_heads": 8.0, "head_dim": 64.0, "max_position_embeddings": 131072.0},
	// Ministral3Config (transformers 5): YaRN with the query scaling when
	// no rope parameters are given.
	"ministral3": {"vocab_size": 131072.0, "hidden_size": 4096.0, "intermediate_size": 14336.0, "num_hidden_layers": 34.0,
		"num_attention_heads": 32.0, "num_key_value_heads": 8.0, "head_dim": 128.0, "max_position_embeddings": 262144.0,
		"rms_norm_eps": 1e-5, "rope_parameters": ministral3Rope},
	// Qwen3VLTextConfig (4.57).
	"qwen3_vl_text": {"vocab_size": 151936.0, "hidden_size": 4096.0, "intermediate_size": 22016.0, "num_hidden_layers": 32.0,
		"num_attention_heads": 32.0, "num_key_value_heads": 32.0, "head_dim": 128.0, "max_position_embeddings": 128000.0,
		"rms_norm_eps": 1e-6, "rope_theta": 5e6},

	// The other families a LLaVA text_config may name. Without these, a
	// left-out key takes ParseConfig's generic default: no size at all (an
	// older LLaVA over Phi-3 leaves out the layer and head counts equal to
	// LlamaConfig's), or a value that is not the class's (Mixtral's
	// rope_theta, Gemma 2's head_dim and soft-capping, GPT-NeoX's rotary_pct).
	"gemma2": {"vocab_size": 256000.0, "hidden_size": 2304.0, "intermediate_size": 9216.0, "num_hidden_layers": 26.0,
		"num_attention_heads": 8.0, "num_key_value_heads": 4.0, "head_dim": 256.0, "max_position_embeddings": 8192.0,
		"rms_norm_eps": 1e-6, "rope_theta": 10000.0, "query_pre_attn_scalar": 256.0, "sliding_window": 4096.0,
		"final_logit_softcapping": 30.0, "attn_logit_softcapping": 50.0},
	// GPTNeoXConfig's sizes; its behaviour keys are the family's
	// classDefaults (neox.go), which ParseConfig applies to every config.
	"gpt_neox": {"vocab_size": 50432.0, "hidden_size": 6144.0, "intermediate_size": 24576.0, "num_hidden_layers": 44.0,
		"num_attention_heads": 64.0, "max_position_embeddings": 2048.0},
	"mixtral": {"vocab_size": 32000.0, "hidden_size": 4096.0, "intermediate_size": 14336.0, "num_hidden_layers": 32.0,
		"num_attention_heads": 32.0, "num_key_value_heads": 8.0, "max_position_embeddings": 131072.0, "rms_norm_eps": 1e-5,
		"rope_theta": 1e6, "num_local_experts": 8.0, "num_experts_per_tok": 2.0},
	"olmo2": {"vocab_size": 50304.0, "hidden_size": 4096.0, "intermediate_size": 11008.0, "num_hidden_layers": 32.0,
		"num_attention_heads": 32.0, "max_position_embeddings": 2048.0, "rms_norm_eps": 1e-5, "rope_theta": 10000.0},
	"phi3": {"vocab_size": 32064.0, "hidden_size": 3072.0, "intermediate_size": 8192.0, "num_hidden_layers": 32.0,
		"num_attention_heads": 32.0, "max_position_embeddings": 4096.0, "rms_norm_eps": 1e-5, "rope_theta": 10000.0},
	"qwen3": {"vocab_size": 151936.0, "hidden_size": 4096.0, "intermediate_size": 22016.0, "num_hidden_layers": 32.0,
		"num_attention_heads": 32.0, "num_key_value_heads": 32.0, "head_dim": 128.0, "max_position_embeddings": 32768.0,
		"rms_norm_eps": 1e-6, "rope_theta": 10000.0, "sliding_window": 4096.0, "max_window_layers": 28.0},
	// Qwen3MoeConfig has no head_dim default: hidden_size / heads.
	"qwen3_moe": {"vocab_size": 151936.0, "hidden_size": 2048.0, "intermediate_size": 6144.0, "num_hidden_layers": 24.0,
		"num_attention_heads": 32.0, "num_key_value_heads": 4.0, "max_position_embeddings": 32768.0, "rms_norm_eps": 1e-6,
		"rope_theta": 10000.0, "sliding_window": 4096.0, "max_window_layers": 28.0, "num_experts": 128.0,
		"num_experts_per_tok": 8.0, "moe_intermediate_size": 768.0},
}

// qwenVLTextDefaults are Qwen2VLConfig's and Qwen2_5_VLConfig's (the top level
// of the original releases) and their *TextConfig's. Unlike Qwen2Config,
// max_window_layers is 80.
var qwenVLTextDefaults = map[string]any{"vocab_size": 152064.0, "hidden_size": 8192.0, "intermediate_size": 29568.0,
	"num_hidden_layers": 80.0, "num_attention_heads": 64.0, "num_key_value_heads": 8.0, "max_position_embeddings": 32768.0,
	"rms_norm_eps": 1e-5, "rope_theta": 1e6, "sliding_window": 4096.0, "max_window_layers": 80.0}

// unwrap returns the language model's config object of a wrapper config
// (with wrapper set to the wrapper's model_type), or raw itself.
func unwrap(raw map[string]any) (wrapper string, text map[string]any, err error) {
	mt, _ := raw["model_type"].(string)
	defText, ok := wrapperText[mt]
	if !ok {
		return "", raw, nil
	}
	tc, isObj := raw["text_config"].(map[string]any)
	switch {
	case isObj:
		text = maps.Clone(tc)
	case raw["text_config"] == nil && (mt == "qwen2_vl" || mt == "qwen2_5_vl"):
		// The original Qwen2-VL / Qwen2.5-VL releases keep the text
		// parameters at the top level.
		text = maps.Clone(raw)
		delete(text, "vision_config")
		text["model_type"] = defText
	default:
		return "", nil, fmt.Errorf("model_type %q (a multimodal wrapper) needs a text_config object", mt)
	}
	tt, _ := text["model_type"].(string)
	if tt == "" {
		tt = defText
		text["model_type"] = tt
	}
	if _, err := familyFor(canonicalType(tt), ""); err != nil {
		return "", nil, fmt.Errorf("%s wraps a language model of text_config model_type %q, which is not supported; supported language models: %s",
			wrapperName(raw, mt), tt, strings.Join(SupportedArchitectures(), ", "))
	}
	// Since transformers saves nested configs as a diff against the class
	// defaults, absent keys mean the defaults; tie_word_embeddings may sit
	// at the top level (Qwen3-VL) when text_config lacks it.
	for k, v := range textDefaults[tt] {
		if _, ok := text[k]; !ok {
			text[k] = v
		}
	}
	if _, ok := text["tie_word_embeddings"]; !ok {
		if v, ok := raw["tie_word_embeddings"]; ok {
			text["tie_word_embeddings"] = v
		}
	}
	text["architectures"] = raw["architectures"]
	return mt, text, nil
}

// wrapperName is the wrapper's class, or its model_type.
func wrapperName(raw map[string]any, mt string) string {
	if archs, ok := raw["architectures"].([]any); ok && len(archs) > 0 {
		if s, ok := archs[0].(string); ok && s != "" {
			return s
		}
	}
	return "model_type " + mt
}

// canonicalType maps a text model_type to the family name it loads as.
func canonicalType(mt string) string {
	if a, ok := textAliases[mt]; ok {
		return a
	}
	return mt
}

// SupportedWrappers lists the multimodal model_types whose language model
// calibrate accepts.
func SupportedWrappers() []string {
	var names []string
	for k := range wrapperText {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// ReportedType is the model_type that names the model in provenance and
// reports: a wrapper's own (gemma3, llava...), else the family's.
func (c *Config) ReportedType() string {
	if c.Wrapper != "" {
		return c.Wrapper
	}
	return c.ModelType
}
