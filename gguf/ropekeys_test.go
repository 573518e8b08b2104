package gguf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// ggufConfig writes a metadata-only GGUF and returns the config.json its
// metadata gives (or the error).
func ggufConfig(t *testing.T, kvs []KV) (map[string]any, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := os.WriteFile(path, EncodeFile(3, 0, kvs, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := OpenModel(path)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	var c map[string]any
	if err := json.Unmarshal(m.Config(), &c); err != nil {
		t.Fatal(err)
	}
	return c, nil
}

func baseKVs(arch string, extra ...KV) []KV {
	kvs := []KV{{"general.architecture", arch}, {arch + ".block_count", uint32(2)}, {arch + ".embedding_length", uint32(64)},
		{arch + ".feed_forward_length", uint32(128)}, {arch + ".attention.head_count", uint32(4)}, {arch + ".vocab_size", uint32(16)},
		{arch + ".context_length", uint32(131072)}}
	return append(kvs, extra...)
}

// TestRopeScalingWithoutType: llama.cpp takes a file's RoPE scaling as
// linear when rope.scaling.type is absent, and reads the factor from
// rope.scaling.factor or, in files of the first GGUF converters, from
// rope.scale_linear (llama_model::load_hparams). Such a file's model is
// scaled; it must not read as an unscaled one.
func TestRopeScalingWithoutType(t *testing.T) {
	for _, c := range []struct {
		key    string
		factor float32
	}{{"llama.rope.scale_linear", 4}, {"llama.rope.scaling.factor", 2}} {
		cfg, err := ggufConfig(t, baseKVs("llama", KV{c.key, c.factor}))
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := cfg["rope_scaling"].(map[string]any)
		if rs == nil || rs["rope_type"] != "linear" || rs["factor"] != float64(c.factor) {
			t.Errorf("%s = %v without a scaling type: rope_scaling %v, want linear with factor %v", c.key, c.factor, cfg["rope_scaling"], c.factor)
		}
	}
	// A factor of 1 (or an explicit "none") is no scaling.
	for _, kvs := range [][]KV{{{"llama.rope.scale_linear", float32(1)}},
		{{"llama.rope.scaling.type", "none"}, {"llama.rope.scaling.factor", float32(4)}}} {
		cfg, err := ggufConfig(t, baseKVs("llama", kvs...))
		if err != nil {
			t.Fatal(err)
		}
		if cfg["rope_scaling"] != nil {
			t.Errorf("%v: rope_scaling %v, want none", kvs, cfg["rope_scaling"])
		}
	}
}

// TestYarnAttentionFactor: the converter writes a checkpoint's yarn
// attention_factor as rope.scaling.yarn_attn_factor (TextModel) and, for
// OLMo 3, also as rope.scaling.attn_factor (Olmo2Model); transformers
// scales cos/sin by it instead of 0.1·ln(factor) + 1.
func TestYarnAttentionFactor(t *testing.T) {
	yarn := []KV{{"ARCH.rope.scaling.type", "yarn"}, {"ARCH.rope.scaling.factor", float32(4)},
		{"ARCH.rope.scaling.original_context_length", uint32(32768)}}
	for _, c := range []struct {
		arch, key string
	}{{"qwen2", "rope.scaling.yarn_attn_factor"}, {"olmo2", "rope.scaling.attn_factor"}, {"llama", "rope.scaling.yarn_attn_factor"}} {
		var kvs []KV
		for _, kv := range yarn {
			kvs = append(kvs, KV{strings.Replace(kv.Key, "ARCH", c.arch, 1), kv.Val})
		}
		kvs = append(kvs, KV{c.arch + "." + c.key, float32(1.5)})
		cfg, err := ggufConfig(t, baseKVs(c.arch, kvs...))
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := cfg["rope_scaling"].(map[string]any)
		if rs == nil || rs["rope_type"] != "yarn" || rs["attention_factor"] != 1.5 {
			t.Errorf("%s with %s = 1.5: rope_scaling %v, want yarn with attention_factor 1.5", c.arch, c.key, cfg["rope_scaling"])
		}
	}
}

// TestRopeKeysRefused: RoPE metadata we cannot express as the checkpoint's
// config is refused rather than dropped: Mistral-format yarn's
// rope.scaling.yarn_log_multiplier (MistralModel, written under the llama
// architecture), and a sliding-window RoPE base that differs from the
// global one on an architecture whose config has no place for it.
func TestRopeKeysRefused(t *testing.T) {
	for _, c := range []struct {
		kvs  []KV
		want string
	}{
		{baseKVs("llama", KV{"llama.rope.scaling.type", "yarn"}, KV{"llama.rope.scaling.factor", float32(4)},
			KV{"llama.rope.scaling.original_context_length", uint32(32768)}, KV{"llama.rope.scaling.yarn_log_multiplier", float32(1)}),
			"llama.rope.scaling.yarn_log_multiplier"},
		{baseKVs("olmo2", KV{"olmo2.rope.freq_base", float32(500000)}, KV{"olmo2.rope.freq_base_swa", float32(10000)}),
			"olmo2.rope.freq_base_swa"},
	} {
		if _, err := ggufConfig(t, c.kvs); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one naming %s", err, c.want)
		}
	}
	// The same base for both kinds of layer is no change.
	if _, err := ggufConfig(t, baseKVs("olmo2", KV{"olmo2.rope.freq_base", float32(10000)}, KV{"olmo2.rope.freq_base_swa", float32(10000)})); err != nil {
		t.Error(err)
	}
}

// TestGemma3LocalBase: Gemma 3's sliding layers use
// rope_parameters.sliding_attention.rope_theta, which the converter writes
// as rope.freq_base_swa; 10000 only when the file says nothing.
func TestGemma3LocalBase(t *testing.T) {
	kvs := baseKVs("gemma3", KV{"gemma3.attention.sliding_window", uint32(512)}, KV{"gemma3.rope.freq_base", float32(1e6)})
	for _, c := range []struct {
		kvs  []KV
		want float64
	}{{kvs, 10000}, {append(slices.Clone(kvs), KV{"gemma3.rope.freq_base_swa", float32(20000)}), 20000}} {
		cfg, err := ggufConfig(t, c.kvs)
		if err != nil {
			t.Fatal(err)
		}
		if cfg["rope_local_base_freq"] != c.want {
			t.Errorf("rope_local_base_freq %v, want %v", cfg["rope_local_base_freq"], c.want)
		}
	}
}

// TestUnreadTensorRefused: a tensor of the text model that maps to no
// Hugging Face tensor is refused, not dropped; the RoPE tables, appended
// blocks and a single-file GGUF's vision encoder are not part of it.
func TestUnreadTensorRefused(t *testing.T) {
	f32 := func(name string, n int) RawTensor {
		return RawTensor{Name: name, Dims: []int{n}, Type: F32, Data: make([]byte, 4*n)}
	}
	write := func(ts ...RawTensor) error {
		path := filepath.Join(t.TempDir(), "m.gguf")
		if err := os.WriteFile(path, EncodeFile(3, 0, baseKVs("llama"), ts), 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := OpenModel(path)
		if err == nil {
			m.Close()
		}
		return err
	}
	if err := write(f32("blk.1.attn_post_norm.weight", 64)); err == nil || !strings.Contains(err.Error(), "blk.1.attn_post_norm.weight") {
		t.Errorf("error %v, want one naming blk.1.attn_post_norm.weight", err)
	}
	if err := write(f32("blk.0.attn_norm.weight", 64), f32("rope_freqs.weight", 8), f32("blk.2.attn_post_norm.weight", 64),
		f32("v.blk.0.attn_q.weight", 4), f32("mm.input_projection.weight", 4)); err != nil {
		t.Error(err)
	}
}

// TestUniformKVHeadArray: GraniteHybridModel writes Granite 4.0's
// all-attention models (granite-4.0-micro, -1b, -350m) under the granite
// architecture with head_count_kv as one value per layer, all equal; that
// is one count for every layer, and the q/k rows unpermute with it.
func TestUniformKVHeadArray(t *testing.T) {
	kvs := baseKVs("granite", KV{"granite.attention.head_count_kv", []uint32{2, 2}})
	cfg, err := ggufConfig(t, kvs)
	if err != nil {
		t.Fatal(err)
	}
	if cfg["num_key_value_heads"] != 2.0 {
		t.Errorf("num_key_value_heads %v, want 2", cfg["num_key_value_heads"])
	}
	// k_proj of 2 heads of 16 rows, 2 columns: the unpermute must use 2 heads.
	k := make([]float32, 32*2)
	for i := range k {
		k[i] = float32(i)
	}
	path := filepath.Join(t.TempDir(), "m.gguf")
	ts := []RawTensor{{Name: "blk.0.attn_k.weight", Dims: []int{2, 32}, Type: F32, Data: F32Bytes(k)}}
	if err := os.WriteFile(path, EncodeFile(3, 0, kvs, ts), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := OpenModel(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	got, err := m.Tensor("model.layers.0.self_attn.k_proj.weight")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := got.Float32()
	// HF row h·16 + j·8 + i was written at GGUF row h·16 + 2i + j.
	for h := 0; h < 2; h++ {
		for j := 0; j < 2; j++ {
			for i := 0; i < 8; i++ {
				if want := k[(h*16+2*i+j)*2]; v[(h*16+j*8+i)*2] != want {
					t.Fatalf("row %d: %v, want %v", h*16+j*8+i, v[(h*16+j*8+i)*2], want)
				}
			}
		}
	}
	if _, err := ggufConfig(t, baseKVs("granite", KV{"granite.attention.head_count_kv", []uint32{2, 0}})); err == nil ||
		!strings.Contains(err.Error(), "per-layer") {
		t.Errorf("head_count_kv [2 0]: error %v, want a per-layer refusal", err)
	}
}

// TestSplitShardRefused: one shard of a split GGUF (llama-gguf-split,
// split.count > 1) holds only some of the tensors; it is refused with a
// line that says so, not read as a model whose tensors are missing (or,
// with output.weight in another shard, as one with tied embeddings).
func TestSplitShardRefused(t *testing.T) {
	kvs := baseKVs("llama", KV{"split.no", uint16(0)}, KV{"split.count", uint16(3)}, KV{"split.tensors.count", int32(20)})
	if _, err := ggufConfig(t, kvs); err == nil || !strings.Contains(err.Error(), "split.count") {
		t.Errorf("error %v, want one naming split.count", err)
	}
	if _, err := ggufConfig(t, baseKVs("llama", KV{"split.no", uint16(0)}, KV{"split.count", uint16(1)})); err != nil {
		t.Errorf("a split of one file: %v", err)
	}
}

// TestQwenMTPBlocks: llama.cpp's converter (_QwenMtpMixin) appends the
// multi-token-prediction layer(s) of Qwen3-Next / Qwen 3.5 after the trunk:
// block_count = num_hidden_layers + nextn_predict_layers, the MTP block
// under blk.{num_hidden_layers}. It is not a layer of the model.
func TestQwenMTPBlocks(t *testing.T) {
	for _, arch := range []string{"qwen35", "qwen3next", "qwen35moe"} {
		kvs := []KV{{"general.architecture", arch}, {arch + ".block_count", uint32(5)}, {arch + ".nextn_predict_layers", uint32(1)},
			{arch + ".embedding_length", uint32(64)}, {arch + ".feed_forward_length", uint32(128)}, {arch + ".attention.head_count", uint32(4)},
			{arch + ".attention.head_count_kv", uint32(2)}, {arch + ".attention.key_length", uint32(16)}, {arch + ".vocab_size", uint32(16)},
			{arch + ".rope.dimension_count", uint32(4)}, {arch + ".full_attention_interval", uint32(4)},
			{arch + ".ssm.conv_kernel", uint32(4)}, {arch + ".ssm.state_size", uint32(8)}, {arch + ".ssm.group_count", uint32(2)},
			{arch + ".ssm.time_step_rank", uint32(4)}, {arch + ".ssm.inner_size", uint32(32)}}
		if arch != "qwen35" {
			kvs = append(kvs, KV{arch + ".expert_count", uint32(4)}, KV{arch + ".expert_used_count", uint32(2)},
				KV{arch + ".expert_feed_forward_length", uint32(16)}, KV{arch + ".expert_shared_feed_forward_length", uint32(16)})
		}
		cfg, err := ggufConfig(t, kvs)
		if err != nil {
			t.Fatalf("%s: %v", arch, err)
		}
		lt, _ := cfg["layer_types"].([]any)
		if cfg["num_hidden_layers"] != 4.0 || len(lt) != 4 {
			t.Errorf("%s: 5 blocks with 1 MTP layer: num_hidden_layers %v, %d layer types; want 4 and 4", arch, cfg["num_hidden_layers"], len(lt))
		}
	}
}
