package model

import (
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// wantRope is the RoPE of one kind of layer as transformers builds it.
type wantRope struct {
	typ           string
	theta, factor float64
}

// wantText is the language model config transformers builds.
type wantText struct {
	wrapper, text, arch       string
	layers, hidden, inter     int
	heads, kv, headDim, vocab int
	eps                       float64
	tie                       bool
	maxPos                    int
	activation                string
	queryScalar               float64
	global, local             wantRope // local: sliding layers
	window                    int      // of the sliding layers
	// With a window, layer l slides when (l+1)%pattern != 0 (Gemma 3), or
	// without a pattern when l >= from (Mistral: 0; Qwen 2: max_window_layers).
	pattern, from int
	// Rarer fields, zero where the family has none: the rotating share of
	// head_dim (0 = all), soft-capping, parallel residual, experts.
	partial                  float64
	attnCap, finalCap        float64
	parallel                 bool
	experts, perTok, expertI int
}

func (w wantText) check(t *testing.T, cfg *Config) {
	t.Helper()
	got := []any{cfg.Wrapper, cfg.ModelType, cfg.Architecture, cfg.Layers, cfg.Hidden, cfg.Intermediate,
		cfg.Heads, cfg.KVHeads, cfg.HeadDim, cfg.Vocab, cfg.NormEps, cfg.TieEmbeddings, cfg.MaxPositions,
		cfg.Activation, cfg.QueryPreAttnScalar, cfg.AttnSoftcap, cfg.FinalSoftcap, cfg.ParallelResidual,
		cfg.Experts, cfg.ExpertsPerToken}
	want := []any{w.wrapper, w.text, w.arch, w.layers, w.hidden, w.inter,
		w.heads, w.kv, w.headDim, w.vocab, w.eps, w.tie, w.maxPos,
		w.activation, w.queryScalar, w.attnCap, w.finalCap, w.parallel,
		w.experts, w.perTok}
	names := []string{"wrapper", "model_type", "architecture", "layers", "hidden", "intermediate",
		"heads", "kv heads", "head_dim", "vocab", "norm eps", "tied", "max positions",
		"activation", "query_pre_attn_scalar", "attention soft-cap", "final soft-cap", "parallel residual",
		"experts", "experts per token"}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s = %v, want %v", names[i], got[i], want[i])
		}
	}
	if w.experts > 0 && cfg.ExpertIntermediate != w.expertI {
		t.Errorf("expert intermediate = %d, want %d", cfg.ExpertIntermediate, w.expertI)
	}
	partial := w.partial
	if partial == 0 {
		partial = 1
	}
	if len(cfg.Rope) != w.layers || len(cfg.Window) != w.layers {
		t.Fatalf("%d rope / %d window entries for %d layers", len(cfg.Rope), len(cfg.Window), w.layers)
	}
	for l := range w.layers {
		sliding := w.window > 0 && ((w.pattern > 0 && (l+1)%w.pattern != 0) || (w.pattern == 0 && l >= w.from))
		wantWindow, wr := 0, w.global
		if sliding {
			wantWindow, wr = w.window, w.local
		}
		r := cfg.Rope[l]
		if cfg.Window[l] != wantWindow || r.Type != wr.typ || r.Theta != wr.theta || r.Factor != wr.factor || r.PartialFactor != partial {
			t.Errorf("layer %d: window %d, rope %s %v x%v; want window %d, rope %+v", l, cfg.Window[l], r.Type, r.Theta, r.Factor, wantWindow, wr)
			break
		}
	}
}

// TestPublishedWrapperConfigs reads the config.json of real multimodal
// releases (testdata/wrappers, see its README) and checks the language
// model's config against what transformers builds from it: the keys the
// text_config omits take the defaults of the text config class (Gemma3TextConfig,
// LlamaConfig...), read in the transformers source.
func TestPublishedWrapperConfigs(t *testing.T) {
	for _, c := range []struct {
		dir string
		wantText
	}{
		// Gemma3TextConfig defaults (4.50): 8 heads, 4 KV heads, head_dim 256,
		// vocab 262208, query_pre_attn_scalar 256, rope_theta 1e6,
		// rope_local_base_freq 1e4, sliding_window_pattern 6, tied.
		{"gemma-3-4b-it", wantText{wrapper: "gemma3", text: "gemma3_text", arch: "Gemma3ForConditionalGeneration",
			layers: 34, hidden: 2560, inter: 10240, heads: 8, kv: 4, headDim: 256, vocab: 262208,
			eps: 1e-6, tie: true, maxPos: 131072, activation: "gelu_pytorch_tanh", queryScalar: 256,
			global: wantRope{"linear", 1e6, 8}, local: wantRope{"default", 1e4, 0}, window: 1024, pattern: 6}},
		{"gemma-3-27b-it", wantText{wrapper: "gemma3", text: "gemma3_text", arch: "Gemma3ForConditionalGeneration",
			layers: 62, hidden: 5376, inter: 21504, heads: 32, kv: 16, headDim: 128, vocab: 262208,
			eps: 1e-6, tie: true, maxPos: 131072, activation: "gelu_pytorch_tanh", queryScalar: 168,
			global: wantRope{"linear", 1e6, 8}, local: wantRope{"default", 1e4, 0}, window: 1024, pattern: 6}},
		// LlamaConfig defaults: hidden 4096, intermediate 11008, 32 layers,
		// 32 heads (KV heads = heads), rope_theta 1e4, untied.
		{"llava-1.5-7b-hf", wantText{wrapper: "llava", text: "llama", arch: "LlavaForConditionalGeneration",
			layers: 32, hidden: 4096, inter: 11008, heads: 32, kv: 32, headDim: 128, vocab: 32064,
			eps: 1e-5, maxPos: 4096, activation: "silu", global: wantRope{"default", 1e4, 0}}},
		// Everything explicit; sliding_window null is full attention, and
		// no tie_word_embeddings anywhere is MistralConfig's False.
		{"mistral-small-3.1-24b-instruct-2503", wantText{wrapper: "mistral3", text: "mistral", arch: "Mistral3ForConditionalGeneration",
			layers: 40, hidden: 5120, inter: 32768, heads: 32, kv: 8, headDim: 128, vocab: 131072,
			eps: 1e-5, maxPos: 131072, activation: "silu", global: wantRope{"default", 1e9, 0}}},
		// Text parameters at the top level; mrope is 1-D RoPE for text;
		// use_sliding_window false: no sliding layer.
		{"qwen2.5-vl-3b-instruct", wantText{wrapper: "qwen2_5_vl", text: "qwen2", arch: "Qwen2_5_VLForConditionalGeneration",
			layers: 36, hidden: 2048, inter: 11008, heads: 16, kv: 2, headDim: 128, vocab: 151936,
			eps: 1e-6, tie: true, maxPos: 128000, activation: "silu", global: wantRope{"default", 1e6, 0}}},
		{"qwen3-vl-4b-instruct", wantText{wrapper: "qwen3_vl", text: "qwen3", arch: "Qwen3VLForConditionalGeneration",
			layers: 36, hidden: 2560, inter: 9728, heads: 32, kv: 8, headDim: 128, vocab: 151936,
			eps: 1e-6, tie: true, maxPos: 262144, activation: "silu", global: wantRope{"default", 5e6, 0}}},
	} {
		t.Run(c.dir, func(t *testing.T) {
			cfg, err := LoadConfig(fixture.Path("wrappers", c.dir))
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, cfg)
		})
	}
}
