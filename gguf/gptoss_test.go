package gguf_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/gguf"
	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/safetensors"
)

// TestGptOss: the gpt-oss fixtures converted as llama.cpp's GptOssModel
// writes them give the checkpoint's filters. The MXFP4 fixture's experts are
// repacked into ggml MXFP4 blocks exactly as the converter does (gate and up
// rows de-interleaved, each 16-byte block prefixed by its scale, nibbles
// reordered from transformers' pairs to ggml's halves); the bf16 fixture's
// are transposed floats. Both gate/up layouts are written: split
// (ffn_gate_exps, ffn_up_exps, the default) and fused (ffn_gate_up_exps).
func TestGptOss(t *testing.T) {
	for _, c := range []struct {
		fixture string
		fuse    bool
	}{
		{"gpt_oss", false}, {"gpt_oss", true}, {"gpt_oss_bf16", false}, {"gpt_oss_bf16", true},
	} {
		t.Run(fmt.Sprintf("%s_fuse=%v", c.fixture, c.fuse), func(t *testing.T) {
			dir := fixture.Arch(c.fixture)
			path := convertGptOss(t, dir, c.fuse)
			if c.fixture == "gpt_oss" {
				checkPackedBack(t, dir, path)
			}
			seqs := goldenIDs(t, dir)
			want := calibrateOn(t, dir, seqs)
			got := calibrateOn(t, path, seqs)
			if got.Layers != want.Layers || got.KVHeads != want.KVHeads || got.HeadDim != want.HeadDim {
				t.Fatalf("geometry %d×%d×%d, want %d×%d×%d", got.Layers, got.KVHeads, got.HeadDim, want.Layers, want.KVHeads, want.HeadDim)
			}
			d := got.HeadDim
			worst := 1.0
			for f := 0; f < got.Layers*got.KVHeads; f++ {
				worst = min(worst, cosine(got.QFilters[f*d:(f+1)*d], want.QFilters[f*d:(f+1)*d]))
			}
			// The same weights in float32: the same filters, bit for bit.
			if !slices.Equal(got.QFilters, want.QFilters) || !slices.Equal(got.PerQueryHead, want.PerQueryHead) {
				t.Errorf("filters differ from the checkpoint's: worst cosine %.7f (negative: opposite sign)", worst)
			}
		})
	}
}

// checkPackedBack: the GGUF's MXFP4 experts come back as the checkpoint's
// own blocks and scales, byte for byte (the model dequantizes them one
// expert at a time, as it does the checkpoint's).
func checkPackedBack(t *testing.T, dir, path string) {
	t.Helper()
	g, err := gguf.OpenModel(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ck, err := safetensors.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	n := 0
	for _, name := range ck.Names() {
		if !strings.HasSuffix(name, "_blocks") && !strings.HasSuffix(name, "_scales") {
			continue
		}
		want, err := ck.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := g.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		if got.DType != safetensors.U8 || !slices.Equal(got.Shape, want.Shape) || !slices.Equal(got.Data, want.Data) {
			t.Fatalf("%s: %s %v differs from the checkpoint's %s %v", name, got.DType, got.Shape, want.DType, want.Shape)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no MXFP4 tensors compared")
	}
}

var ossLayer = regexp.MustCompile(`^model\.layers\.(\d+)\.(.+)$`)

// convertGptOss writes dir as an F32 gpt-oss GGUF (experts MXFP4 where the
// checkpoint has them) with the metadata GptOssModel writes.
func convertGptOss(t *testing.T, dir string, fuse bool) string {
	t.Helper()
	hf := loadHFRaw(t, dir)
	cfg := hf.cfg
	rs := cfg["rope_scaling"].(map[string]any)
	a := "gpt-oss"
	u := func(k string) uint32 { return uint32(cfg[k].(float64)) }
	kvs := []gguf.KV{
		{Key: "general.architecture", Val: a},
		{Key: a + ".block_count", Val: u("num_hidden_layers")},
		{Key: a + ".context_length", Val: u("max_position_embeddings")},
		{Key: a + ".embedding_length", Val: u("hidden_size")},
		{Key: a + ".feed_forward_length", Val: u("intermediate_size")},
		{Key: a + ".attention.head_count", Val: u("num_attention_heads")},
		{Key: a + ".attention.head_count_kv", Val: u("num_key_value_heads")},
		{Key: a + ".attention.key_length", Val: u("head_dim")},
		{Key: a + ".attention.value_length", Val: u("head_dim")},
		{Key: a + ".attention.layer_norm_rms_epsilon", Val: float32(cfg["rms_norm_eps"].(float64))},
		{Key: a + ".rope.freq_base", Val: float32(cfg["rope_theta"].(float64))},
		{Key: a + ".rope.dimension_count", Val: u("head_dim")},
		{Key: a + ".expert_count", Val: u("num_local_experts")},
		{Key: a + ".expert_used_count", Val: u("num_experts_per_tok")},
		{Key: a + ".rope.scaling.type", Val: "yarn"},
		{Key: a + ".rope.scaling.factor", Val: float32(rs["factor"].(float64))},
		{Key: a + ".rope.scaling.original_context_length", Val: uint32(rs["original_max_position_embeddings"].(float64))},
		{Key: a + ".rope.scaling.yarn_beta_fast", Val: float32(rs["beta_fast"].(float64))},
		{Key: a + ".rope.scaling.yarn_beta_slow", Val: float32(rs["beta_slow"].(float64))},
		{Key: a + ".attention.sliding_window", Val: u("sliding_window")},
		{Key: a + ".expert_feed_forward_length", Val: u("intermediate_size")},
		{Key: a + ".vocab_size", Val: u("vocab_size")},
	}
	roles := map[string]string{"input_layernorm.weight": "attn_norm.weight", "post_attention_layernorm.weight": "post_attention_norm.weight",
		"self_attn.sinks": "attn_sinks.weight", "mlp.router.weight": "ffn_gate_inp.weight", "mlp.router.bias": "ffn_gate_inp.bias"}
	for _, p := range []string{"q", "k", "v", "o"} {
		g := map[string]string{"q": "attn_q", "k": "attn_k", "v": "attn_v", "o": "attn_output"}[p]
		roles["self_attn."+p+"_proj.weight"], roles["self_attn."+p+"_proj.bias"] = g+".weight", g+".bias"
	}
	var list []gguf.RawTensor
	f32 := func(name string, v []float32, shape ...int) {
		dims := slices.Clone(shape)
		slices.Reverse(dims)
		list = append(list, gguf.RawTensor{Name: name, Dims: dims, Type: gguf.F32, Data: gguf.F32Bytes(v)})
	}
	names := make([]string, 0, len(hf.shapes))
	for n := range hf.shapes {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		sh := hf.shapes[n]
		switch n {
		case "model.embed_tokens.weight":
			f32("token_embd.weight", hf.tensors[n], sh...)
			continue
		case "model.norm.weight":
			f32("output_norm.weight", hf.tensors[n], sh...)
			continue
		case "lm_head.weight":
			f32("output.weight", hf.tensors[n], sh...)
			continue
		}
		m := ossLayer.FindStringSubmatch(n)
		if m == nil {
			t.Fatalf("unexpected tensor %s", n)
		}
		blk := "blk." + m[1] + "."
		if g, ok := roles[m[2]]; ok {
			f32(blk+g, hf.tensors[n], sh...)
			continue
		}
		switch m[2] {
		case "mlp.experts.gate_up_proj": // [E][H][2I] -> gate, up [E][I][H]
			e, h, two := sh[0], sh[1], sh[2]
			var gate, up []float32
			for x := 0; x < e; x++ {
				for r := 0; r < two; r++ {
					for c := 0; c < h; c++ {
						v := hf.tensors[n][(x*h+c)*two+r]
						if r%2 == 0 {
							gate = append(gate, v)
						} else {
							up = append(up, v)
						}
					}
				}
			}
			if fuse {
				f32(blk+"ffn_gate_up_exps.weight", catExperts(gate, up, e), e, two, h)
			} else {
				f32(blk+"ffn_gate_exps.weight", gate, e, two/2, h)
				f32(blk+"ffn_up_exps.weight", up, e, two/2, h)
			}
		case "mlp.experts.down_proj": // [E][I][H] -> [E][H][I]
			e, i, h := sh[0], sh[1], sh[2]
			out := make([]float32, 0, e*i*h)
			for x := 0; x < e; x++ {
				for c := 0; c < h; c++ {
					for r := 0; r < i; r++ {
						out = append(out, hf.tensors[n][(x*i+r)*h+c])
					}
				}
			}
			f32(blk+"ffn_down_exps.weight", out, e, h, i)
		case "mlp.experts.gate_up_proj_bias": // [E][2I], interleaved
			e, two := sh[0], sh[1]
			var gate, up []float32
			for k, v := range hf.tensors[n] {
				if k%2 == 0 {
					gate = append(gate, v)
				} else {
					up = append(up, v)
				}
			}
			if fuse {
				f32(blk+"ffn_gate_up_exps.bias", catExperts(gate, up, e), e, two)
			} else {
				f32(blk+"ffn_gate_exps.bias", gate, e, two/2)
				f32(blk+"ffn_up_exps.bias", up, e, two/2)
			}
		case "mlp.experts.down_proj_bias":
			f32(blk+"ffn_down_exps.bias", hf.tensors[n], sh...)
		case "mlp.experts.gate_up_proj_blocks":
			p := strings.TrimSuffix(n, "_blocks")
			blocks, scales := hf.raw[n], hf.raw[p+"_scales"]
			e, rows, nb := sh[0], sh[1], sh[2]
			gate, up := repackMXFP4(blocks, scales, e, rows, nb, 0, 2), repackMXFP4(blocks, scales, e, rows, nb, 1, 2)
			if fuse {
				list = append(list, gguf.RawTensor{Name: blk + "ffn_gate_up_exps.weight", Dims: []int{nb * 32, rows, e}, Type: gguf.MXFP4,
					Data: catBytes(gate, up, e)})
			} else {
				list = append(list, gguf.RawTensor{Name: blk + "ffn_gate_exps.weight", Dims: []int{nb * 32, rows / 2, e}, Type: gguf.MXFP4, Data: gate},
					gguf.RawTensor{Name: blk + "ffn_up_exps.weight", Dims: []int{nb * 32, rows / 2, e}, Type: gguf.MXFP4, Data: up})
			}
		case "mlp.experts.down_proj_blocks":
			p := strings.TrimSuffix(n, "_blocks")
			e, rows, nb := sh[0], sh[1], sh[2]
			list = append(list, gguf.RawTensor{Name: blk + "ffn_down_exps.weight", Dims: []int{nb * 32, rows, e}, Type: gguf.MXFP4,
				Data: repackMXFP4(hf.raw[n], hf.raw[p+"_scales"], e, rows, nb, 0, 1)})
		case "mlp.experts.gate_up_proj_scales", "mlp.experts.down_proj_scales":
		default:
			t.Fatalf("unexpected tensor %s", n)
		}
	}
	path := filepath.Join(t.TempDir(), "model.gguf")
	if err := os.WriteFile(path, gguf.EncodeFile(3, 0, kvs, list), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// catExperts joins two [E][per] halves expert by expert.
func catExperts(a, b []float32, e int) []float32 {
	per := len(a) / e
	out := make([]float32, 0, 2*len(a))
	for x := 0; x < e; x++ {
		out = append(out, a[x*per:(x+1)*per]...)
		out = append(out, b[x*per:(x+1)*per]...)
	}
	return out
}

func catBytes(a, b []byte, e int) []byte {
	per := len(a) / e
	out := make([]byte, 0, 2*len(a))
	for x := 0; x < e; x++ {
		out = append(out, a[x*per:(x+1)*per]...)
		out = append(out, b[x*per:(x+1)*per]...)
	}
	return out
}

// repackMXFP4 is GptOssModel.repack_mxfp4 on the rows first, first+step, …
// of transformers' blocks [E][rows][nb][16] and scales [E][rows][nb]: each
// ggml block is the scale byte, then 16 bytes whose low nibbles are elements
// 0..15 and high nibbles 16..31 (transformers packs elements 2j and 2j+1
// into byte j).
func repackMXFP4(blocks, scales []byte, e, rows, nb, first, step int) []byte {
	var out []byte
	for x := 0; x < e; x++ {
		for r := first; r < rows; r += step {
			for b := 0; b < nb; b++ {
				k := (x*rows+r)*nb + b
				src := blocks[k*16 : (k+1)*16]
				var el [32]byte
				for j, v := range src {
					el[2*j], el[2*j+1] = v&15, v>>4
				}
				out = append(out, scales[k])
				for j := 0; j < 16; j++ {
					out = append(out, el[j]|el[j+16]<<4)
				}
			}
		}
	}
	return out
}

type hfRaw struct {
	cfg     map[string]any
	tensors map[string][]float32
	raw     map[string][]byte
	shapes  map[string][]int
}

// loadHFRaw is loadHF keeping U8 tensors (MXFP4 blocks and scales) as bytes.
func loadHFRaw(t *testing.T, dir string) *hfRaw {
	t.Helper()
	h := loadHFConfig(t, dir)
	m := &hfRaw{cfg: h, tensors: map[string][]float32{}, raw: map[string][]byte{}, shapes: map[string][]int{}}
	ck, err := safetensors.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	for _, n := range ck.Names() {
		ten, err := ck.Tensor(n)
		if err != nil {
			t.Fatal(err)
		}
		m.shapes[n] = ten.Shape
		if ten.DType == safetensors.U8 {
			m.raw[n] = ten.Data
			continue
		}
		if m.tensors[n], err = ten.Float32(); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func loadHFConfig(t *testing.T, dir string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}
