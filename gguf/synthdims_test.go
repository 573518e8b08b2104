package gguf_test

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/qfilters/qfilters/safetensors"
)

// llamaDims is the shape of a small random Llama.
type llamaDims struct {
	hidden, heads, headDim, kvHeads, ffn, vocab, layers int
}

// writeLlama writes a random-weight Llama checkpoint (config.json, F32
// model.safetensors) of the given shape; weights from a fixed seed.
func writeLlama(t *testing.T, d llamaDims, seed int64) string {
	t.Helper()
	dir := t.TempDir()
	cfg := map[string]any{"model_type": "llama", "architectures": []string{"LlamaForCausalLM"},
		"hidden_size": d.hidden, "intermediate_size": d.ffn, "num_hidden_layers": d.layers,
		"num_attention_heads": d.heads, "num_key_value_heads": d.kvHeads, "head_dim": d.headDim,
		"vocab_size": d.vocab, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
		"max_position_embeddings": 2048, "tie_word_embeddings": false}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(seed))
	var ts []safetensors.Tensor
	add := func(name string, scale, offset float64, shape ...int) {
		n := 1
		for _, x := range shape {
			n *= x
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(offset + scale*rng.NormFloat64())
		}
		ts = append(ts, safetensors.Tensor{Name: name, DType: safetensors.F32, Shape: shape, Data: safetensors.EncodeFloat32(v)})
	}
	q, kv := d.heads*d.headDim, d.kvHeads*d.headDim
	add("model.embed_tokens.weight", 1, 0, d.vocab, d.hidden)
	add("lm_head.weight", 0.06, 0, d.vocab, d.hidden)
	add("model.norm.weight", 0.1, 1, d.hidden)
	for l := 0; l < d.layers; l++ {
		p := fmt.Sprintf("model.layers.%d.", l)
		add(p+"input_layernorm.weight", 0.1, 1, d.hidden)
		add(p+"post_attention_layernorm.weight", 0.1, 1, d.hidden)
		add(p+"self_attn.q_proj.weight", 0.06, 0, q, d.hidden)
		add(p+"self_attn.k_proj.weight", 0.06, 0, kv, d.hidden)
		add(p+"self_attn.v_proj.weight", 0.06, 0, kv, d.hidden)
		add(p+"self_attn.o_proj.weight", 0.06, 0, d.hidden, q)
		add(p+"mlp.gate_proj.weight", 0.06, 0, d.ffn, d.hidden)
		add(p+"mlp.up_proj.weight", 0.06, 0, d.ffn, d.hidden)
		add(p+"mlp.down_proj.weight", 0.04, 0, d.hidden, d.ffn)
	}
	if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}
