package model

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/safetensors"
)

// Helpers shared by the tests of other checkpoint layouts: each builds a
// checkpoint from an arch fixture and checks it computes what the plain
// fixture computes.

// fixtureParts reads an arch fixture's config as a JSON object and all its
// tensors.
func fixtureParts(t *testing.T, arch string) (map[string]any, []safetensors.Tensor) {
	t.Helper()
	dir := archDir(t, arch)
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	ck, err := safetensors.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	var ts []safetensors.Tensor
	for _, n := range ck.Names() {
		tn, err := ck.Tensor(n)
		if err != nil {
			t.Fatal(err)
		}
		tn.Data = slices.Clone(tn.Data)
		ts = append(ts, tn)
	}
	return cfg, ts
}

// writeModel writes config.json and model.safetensors into a new directory.
func writeModel(t *testing.T, cfg map[string]any, ts []safetensors.Tensor) string {
	t.Helper()
	dir := t.TempDir()
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// forwardAll runs dir's model over the arch fixture's golden ids and returns
// every layer's queries and keys and the logits, concatenated.
func forwardAll(t *testing.T, dir string, ids [][]int) []float32 {
	t.Helper()
	m, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var out []float32
	for _, seq := range ids {
		logits, err := m.Forward(seq, func(l int, q, k []float32) {
			out = append(out, q...)
			out = append(out, k...)
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, logits...)
	}
	return out
}

// sameBits fails unless got and want are bit-identical.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d is %v, plain checkpoint %v", what, i, got[i], want[i])
		}
	}
}

func cloneJSON(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	data, _ := json.Marshal(v)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func renameTensors(ts []safetensors.Tensor, rename func(string) string) []safetensors.Tensor {
	out := make([]safetensors.Tensor, len(ts))
	for i, tn := range ts {
		tn.Name = rename(tn.Name)
		out[i] = tn
	}
	return out
}

// TestTiedEmbeddingAsLMHead: a tied checkpoint that stores the shared matrix
// only as lm_head.weight computes what the one storing the embedding does.
func TestTiedEmbeddingAsLMHead(t *testing.T) {
	for _, arch := range []string{"qwen2", "gemma3"} { // tied explicitly / by the family's default
		t.Run(arch, func(t *testing.T) {
			cfg, ts := fixtureParts(t, arch)
			if arch == "gemma3" {
				delete(cfg, "tie_word_embeddings")
			}
			ids := loadGolden(t, archDir(t, arch)).ids
			want := forwardAll(t, archDir(t, arch), ids)
			head := renameTensors(ts, func(n string) string {
				if n == "model.embed_tokens.weight" {
					return "lm_head.weight"
				}
				return n
			})
			sameBits(t, "lm_head only", forwardAll(t, writeModel(t, cfg, head), ids), want)
		})
	}
}

// TestNeitherEmbeddingNorHead keeps today's error when the tied matrix is
// under neither name, and when an untied model lacks its lm_head.
func TestNeitherEmbeddingNorHead(t *testing.T) {
	for _, c := range []struct{ arch, drop, want string }{
		{"qwen2", "model.embed_tokens.weight", "tensor model.embed_tokens.weight missing"},
		{"llama2", "lm_head.weight", "tensor lm_head.weight missing"},
		{"llama2", "model.embed_tokens.weight", "tensor model.embed_tokens.weight missing"},
	} {
		cfg, ts := fixtureParts(t, c.arch)
		ts = slices.DeleteFunc(ts, func(tn safetensors.Tensor) bool { return tn.Name == c.drop })
		_, err := Open(writeModel(t, cfg, ts))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s without %s: error %v, want %q", c.arch, c.drop, err, c.want)
		}
	}
}

// wrapperCase builds a multimodal checkpoint around an arch fixture.
type wrapperCase struct {
	name, arch     string
	modelType      string // the wrapper's
	class          string
	textType       string // text_config's model_type; "" = parameters at the top level
	layout         string // "old": language_model.*, "new": model.language_model.* + lm_head, "qwen": as is + visual.*
	mropeSection   []int
	mropeInterleav bool
}

var wrapperCases = []wrapperCase{
	{name: "gemma3-old", arch: "gemma3", modelType: "gemma3", class: "Gemma3ForConditionalGeneration", textType: "gemma3_text", layout: "old"},
	{name: "gemma3-new", arch: "gemma3", modelType: "gemma3", class: "Gemma3ForConditionalGeneration", textType: "gemma3_text", layout: "new"},
	{name: "mistral3-old", arch: "mistral", modelType: "mistral3", class: "Mistral3ForConditionalGeneration", textType: "mistral", layout: "old"},
	{name: "mistral3-new", arch: "mistral", modelType: "mistral3", class: "Mistral3ForConditionalGeneration", textType: "mistral", layout: "new"},
	{name: "mistral3-ministral3", arch: "ministral3", modelType: "mistral3", class: "Mistral3ForConditionalGeneration", textType: "ministral3", layout: "new"},
	{name: "llava-llama", arch: "llama2", modelType: "llava", class: "LlavaForConditionalGeneration", textType: "llama", layout: "old"},
	{name: "llava-mistral", arch: "mistral", modelType: "llava", class: "LlavaForConditionalGeneration", textType: "mistral", layout: "new"},
	{name: "llava-qwen2", arch: "qwen2", modelType: "llava", class: "LlavaForConditionalGeneration", textType: "qwen2", layout: "old"},
	{name: "qwen2vl-top", arch: "qwen2", modelType: "qwen2_vl", class: "Qwen2VLForConditionalGeneration", layout: "qwen", mropeSection: []int{2, 3, 3}},
	{name: "qwen2vl-text", arch: "qwen2", modelType: "qwen2_vl", class: "Qwen2VLForConditionalGeneration", textType: "qwen2_vl_text", layout: "new", mropeSection: []int{2, 3, 3}},
	{name: "qwen25vl-top", arch: "qwen2", modelType: "qwen2_5_vl", class: "Qwen2_5_VLForConditionalGeneration", layout: "qwen", mropeSection: []int{2, 3, 3}},
	{name: "qwen25vl-text", arch: "qwen2", modelType: "qwen2_5_vl", class: "Qwen2_5_VLForConditionalGeneration", textType: "qwen2_5_vl_text", layout: "new", mropeSection: []int{2, 3, 3}},
	{name: "qwen3vl", arch: "qwen3", modelType: "qwen3_vl", class: "Qwen3VLForConditionalGeneration", textType: "qwen3_vl_text", layout: "new", mropeSection: []int{4, 6, 6}, mropeInterleav: true},
}

// build writes the wrapper checkpoint: config wrapped (text_config saved as
// transformers saves it, without the keys equal to the class defaults),
// tensors renamed, and vision tensors of garbage that must never be read.
func (c wrapperCase) build(t *testing.T) string {
	cfg, ts := fixtureParts(t, c.arch)
	text := cloneJSON(t, cfg)
	delete(text, "architectures")
	if c.mropeSection != nil {
		rs := map[string]any{"mrope_section": c.mropeSection}
		if c.mropeInterleav {
			rs["rope_type"], rs["mrope_interleaved"] = "default", true
		} else {
			rs["type"] = "mrope"
		}
		text["rope_scaling"] = rs
	}
	var wrapped map[string]any
	if c.textType == "" {
		wrapped = text
		wrapped["model_type"] = c.modelType
		wrapped["vision_config"] = map[string]any{"depth": 2, "hidden_size": 7}
	} else {
		text["model_type"] = c.textType
		for k, v := range textDefaults[c.textType] {
			if text[k] == v {
				delete(text, k)
			}
		}
		wrapped = map[string]any{"model_type": c.modelType, "text_config": text,
			"vision_config": map[string]any{"model_type": "siglip_vision_model", "hidden_size": 7}, "image_token_index": 5}
	}
	wrapped["architectures"] = []string{c.class}
	ts = renameTensors(ts, func(n string) string {
		switch {
		case c.layout == "old":
			return "language_model." + n
		case c.layout == "new" && strings.HasPrefix(n, "model."):
			return "model.language_model." + strings.TrimPrefix(n, "model.")
		}
		return n
	})
	garbage := safetensors.Tensor{DType: safetensors.F32, Shape: []int{3, 2}, Data: make([]byte, 24)}
	for i := range garbage.Data {
		garbage.Data[i] = 0xff // NaN
	}
	vision := []string{"vision_tower.vision_model.embeddings.patch_embedding.weight", "multi_modal_projector.linear_1.weight"}
	switch c.layout {
	case "new":
		vision = []string{"model.vision_tower.vision_model.embeddings.patch_embedding.weight", "model.multi_modal_projector.linear_1.weight", "model.visual.blocks.0.attn.qkv.weight"}
	case "qwen":
		vision = []string{"visual.blocks.0.attn.qkv.weight", "visual.merger.mlp.0.weight"}
	}
	for _, n := range vision {
		g := garbage
		g.Name = n
		ts = append(ts, g)
	}
	return writeModel(t, wrapped, ts)
}

// TestWrappers: every multimodal wrapper and tensor layout computes, bit for
// bit, the queries, keys and logits of the plain language model.
func TestWrappers(t *testing.T) {
	for _, c := range wrapperCases {
		t.Run(c.name, func(t *testing.T) {
			ids := loadGolden(t, archDir(t, c.arch)).ids
			want := forwardAll(t, archDir(t, c.arch), ids)
			dir := c.build(t)
			m, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if m.Config.Wrapper != c.modelType || m.Config.Architecture != c.class {
				t.Errorf("wrapper %q (%s), want %q (%s)", m.Config.Wrapper, m.Config.Architecture, c.modelType, c.class)
			}
			for _, n := range m.Weights().Names() {
				if strings.Contains(n, "vision") || strings.Contains(n, "visual") || strings.Contains(n, "projector") {
					t.Errorf("vision tensor %s is exposed to the language model", n)
				}
			}
			m.Close()
			sameBits(t, c.name, forwardAll(t, dir, ids), want)
		})
	}
}

// TestMropeTextOnlyIsRope: a text-only mrope config (sections, interleaved
// or not) gives the queries of the same model with plain RoPE.
func TestMropeTextOnlyIsRope(t *testing.T) {
	for _, rs := range []map[string]any{
		{"type": "mrope", "mrope_section": []int{2, 3, 3}},
		{"rope_type": "default", "mrope_section": []int{2, 3, 3}, "mrope_interleaved": true},
	} {
		cfg, ts := fixtureParts(t, "qwen2")
		ids := loadGolden(t, archDir(t, "qwen2")).ids
		cfg["rope_scaling"] = rs
		sameBits(t, fmt.Sprint(rs), forwardAll(t, writeModel(t, cfg, ts), ids), forwardAll(t, archDir(t, "qwen2"), ids))
	}
	cfg, ts := fixtureParts(t, "qwen2")
	cfg["rope_scaling"] = map[string]any{"type": "mrope", "mrope_section": []int{2, 3, 4}}
	if _, err := Open(writeModel(t, cfg, ts)); err == nil || !strings.Contains(err.Error(), "mrope_section [2 3 4] sums to 9") {
		t.Errorf("mrope_section not fitting head_dim: %v", err)
	}
}

func TestWrapperUnsupportedText(t *testing.T) {
	cfg, ts := fixtureParts(t, "llama2")
	cfg["model_type"] = "bert"
	wrapped := map[string]any{"model_type": "llava", "architectures": []string{"LlavaForConditionalGeneration"}, "text_config": cfg}
	_, err := Open(writeModel(t, wrapped, ts))
	want := `LlavaForConditionalGeneration wraps a language model of text_config model_type "bert", which is not supported; supported language models: ` + strings.Join(SupportedArchitectures(), ", ")
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}
	delete(wrapped, "text_config")
	if _, err := Open(writeModel(t, wrapped, ts)); err == nil || !strings.Contains(err.Error(), "needs a text_config") {
		t.Errorf("llava without text_config: %v", err)
	}
}
