package main

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"testing"
)

// Bad GGUF files of the 2026 families (gpt-oss, Qwen3-Next / Qwen 3.5):
// headers llama.cpp's converter would write, with one tensor missing or a
// size that does not fit. The data are zeros: each must be refused, in one
// line, before any weight is read.
func gguf2026HostileCases() []hostileCase {
	gptOss := func(drop string) func(t *testing.T, e *hostileEnv) {
		return func(t *testing.T, e *hostileEnv) {
			a := "gpt-oss"
			kv := append(tinyKV(a), ggufKV{a + ".expert_count", uint32(4)}, ggufKV{a + ".expert_used_count", uint32(2)},
				ggufKV{a + ".expert_feed_forward_length", uint32(32)}, ggufKV{a + ".attention.sliding_window", uint32(8)})
			ts := tinyAttention(a)
			ts = append(ts, ggufTensor{"blk.0.attn_sinks.weight", []int{4}}, ggufTensor{"blk.0.post_attention_norm.weight", []int{32}},
				ggufTensor{"blk.0.ffn_gate_inp.weight", []int{32, 4}}, ggufTensor{"blk.0.ffn_gate_inp.bias", []int{4}})
			for _, p := range []string{"gate", "up"} {
				ts = append(ts, ggufTensor{"blk.0.ffn_" + p + "_exps.weight", []int{32, 32, 4}}, ggufTensor{"blk.0.ffn_" + p + "_exps.bias", []int{32, 4}})
			}
			ts = append(ts, ggufTensor{"blk.0.ffn_down_exps.weight", []int{32, 32, 4}}, ggufTensor{"blk.0.ffn_down_exps.bias", []int{32, 4}})
			writeTinyGGUF(t, e, kv, ts, drop)
		}
	}
	qwen := func(arch string, edit func(kv []ggufKV) []ggufKV, drop string) func(t *testing.T, e *hostileEnv) {
		return func(t *testing.T, e *hostileEnv) {
			kv := append(tinyKV(arch), ggufKV{arch + ".ssm.conv_kernel", uint32(4)}, ggufKV{arch + ".ssm.state_size", uint32(8)},
				ggufKV{arch + ".ssm.group_count", uint32(2)}, ggufKV{arch + ".ssm.time_step_rank", uint32(4)},
				ggufKV{arch + ".ssm.inner_size", uint32(32)}, ggufKV{arch + ".full_attention_interval", uint32(1)})
			if edit != nil {
				kv = edit(kv)
			}
			ts := append(tinyAttention(arch), ggufTensor{"blk.0.post_attention_norm.weight", []int{32}},
				ggufTensor{"blk.0.ffn_gate.weight", []int{32, 64}}, ggufTensor{"blk.0.ffn_up.weight", []int{32, 64}},
				ggufTensor{"blk.0.ffn_down.weight", []int{64, 32}})
			if arch == "qwen3next" { // a DeltaNet layer's split in_proj_qkvz
				ts = append(ts, ggufTensor{"blk.1.attn_qkv.weight", []int{32, 64}}, ggufTensor{"blk.1.attn_gate.weight", []int{32, 32}})
			}
			writeTinyGGUF(t, e, kv, ts, drop)
		}
	}
	gemma4 := func(edit func(kv []ggufKV) []ggufKV) func(t *testing.T, e *hostileEnv) {
		return func(t *testing.T, e *hostileEnv) {
			a := "gemma4"
			kv := append(tinyKV(a), ggufKV{a + ".attention.key_length", uint32(8)},
				ggufKV{a + ".attention.sliding_window_pattern", []bool{false}})
			ts := append(tinyAttention(a), ggufTensor{"rope_freqs.weight", []int{4}})
			writeTinyGGUF(t, e, edit(kv), ts, "")
		}
	}
	return []hostileCase{
		{"GGUF gemma4 file without its sliding_window_pattern", gemma4(func(kv []ggufKV) []ggufKV {
			return dropKV(kv, "gemma4.attention.sliding_window_pattern")
		}), 1, "metadata gemma4.attention.sliding_window_pattern is missing"},
		{"GGUF gemma4 file whose rope_freqs factors are neither 1 nor 1e30 (zeros)", gemma4(func(kv []ggufKV) []ggufKV { return kv }), 1,
			"factor 0 is neither 1 (rotated) nor 1e30 (not rotated)"},
		{"GGUF gpt-oss file without a layer's ffn_down_exps.bias", gptOss("blk.0.ffn_down_exps.bias"), 1,
			"gpt-oss layer 0 has expert tensors but no blk.0.ffn_down_exps.bias"},
		{"GGUF gpt-oss file without attention sinks", gptOss("blk.0.attn_sinks.weight"), 1,
			"gpt-oss file without blk.0.attn_sinks.weight"},
		{"GGUF qwen3next file with attn_qkv but no attn_gate", qwen("qwen3next", func(kv []ggufKV) []ggufKV {
			return append(kv, ggufKV{"qwen3next.expert_count", uint32(4)}, ggufKV{"qwen3next.expert_used_count", uint32(2)},
				ggufKV{"qwen3next.expert_feed_forward_length", uint32(16)}, ggufKV{"qwen3next.expert_shared_feed_forward_length", uint32(16)})
		}, "blk.1.attn_gate.weight"), 1, "tensor blk.1.attn_qkv.weight without blk.1.attn_gate.weight"},
		{"GGUF qwen35 file without its DeltaNet sizes (ssm.conv_kernel)", qwen("qwen35", func(kv []ggufKV) []ggufKV {
			return dropKV(kv, "qwen35.ssm.conv_kernel")
		}, ""), 1, "metadata qwen35.ssm.conv_kernel is missing"},
		{"GGUF qwen35 file whose value heads do not divide the inner size", qwen("qwen35", func(kv []ggufKV) []ggufKV {
			return append(dropKV(kv, "qwen35.ssm.inner_size"), ggufKV{"qwen35.ssm.inner_size", uint32(30)})
		}, ""), 1, "value heads must split the inner size"},
	}
}

type ggufKV struct {
	key string
	val any // uint32, float32, string or []bool
}

type ggufTensor struct {
	name string
	dims []int // GGUF order (fastest first)
}

func dropKV(kv []ggufKV, key string) []ggufKV {
	var out []ggufKV
	for _, x := range kv {
		if x.key != key {
			out = append(out, x)
		}
	}
	return out
}

// tinyKV is the common metadata of a one-layer (two for Qwen3-Next) model:
// hidden 32, 4 heads of 8, 2 kv heads, vocabulary 64.
func tinyKV(arch string) []ggufKV {
	return []ggufKV{{"general.architecture", arch}, {arch + ".block_count", uint32(1)},
		{arch + ".context_length", uint32(256)}, {arch + ".embedding_length", uint32(32)},
		{arch + ".feed_forward_length", uint32(64)}, {arch + ".attention.head_count", uint32(4)},
		{arch + ".attention.head_count_kv", uint32(2)}, {arch + ".attention.layer_norm_rms_epsilon", float32(1e-6)},
		{arch + ".vocab_size", uint32(64)}}
}

func tinyAttention(string) []ggufTensor {
	return []ggufTensor{{"token_embd.weight", []int{32, 64}}, {"output_norm.weight", []int{32}}, {"output.weight", []int{32, 64}},
		{"blk.0.attn_norm.weight", []int{32}}, {"blk.0.attn_q.weight", []int{32, 32}}, {"blk.0.attn_k.weight", []int{32, 16}},
		{"blk.0.attn_v.weight", []int{32, 16}}, {"blk.0.attn_output.weight", []int{32, 32}}}
}

// writeTinyGGUF writes an F32 GGUF (version 3) of kv and the tensors but
// drop, zeros for data, and points e.model at it.
func writeTinyGGUF(t *testing.T, e *hostileEnv, kv []ggufKV, ts []ggufTensor, drop string) {
	t.Helper()
	var b bytes.Buffer
	le := binary.LittleEndian
	w := func(v any) { binary.Write(&b, le, v) }
	str := func(s string) { w(uint64(len(s))); b.WriteString(s) }
	var keep []ggufTensor
	for _, x := range ts {
		if x.name != drop {
			keep = append(keep, x)
		}
	}
	b.WriteString("GGUF")
	w(uint32(3))
	w(uint64(len(keep)))
	w(uint64(len(kv)))
	for _, x := range kv {
		str(x.key)
		switch v := x.val.(type) {
		case uint32:
			w(uint32(4))
			w(v)
		case float32:
			w(uint32(6))
			w(v)
		case string:
			w(uint32(8))
			str(v)
		case []bool:
			w(uint32(9))
			w(uint32(7))
			w(uint64(len(v)))
			for _, x := range v {
				w(x)
			}
		}
	}
	var off uint64
	for _, x := range keep {
		str(x.name)
		w(uint32(len(x.dims)))
		n := uint64(4)
		for _, d := range x.dims {
			w(uint64(d))
			n *= uint64(d)
		}
		w(uint32(0)) // F32
		w(off)
		off += (n + 31) / 32 * 32
	}
	for b.Len()%32 != 0 {
		b.WriteByte(0)
	}
	b.Write(make([]byte, off))
	e.model = filepath.Join(e.root, "tiny.gguf")
	writeFile(t, e.model, b.Bytes())
}
