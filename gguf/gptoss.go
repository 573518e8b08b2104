package gguf

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/qfilters/qfilters/safetensors"
)

// gpt-oss as llama.cpp's converter (GptOssModel) writes it: the experts'
// gate_up_proj, whose gate and up columns transformers interleaves, split
// into ffn_gate_exps (the even columns) and ffn_up_exps (the odd ones), or,
// with --fuse-gate-up-exps, one ffn_gate_up_exps of all gate rows then all
// up rows; every expert matrix stored [E][out][in] (transformers keeps
// [E][in][out]), MXFP4 repacked into ggml's blocks or, for a bf16
// checkpoint, transposed floats; the biases split the same way; the sinks
// as attn_sinks.weight; the router as ffn_gate_inp. We rebuild
// transformers' four fused tensors per layer from those pieces.

var gptOssArch = &arch{modelType: "gpt_oss", class: "GptOssForCausalLM", layer: "model.layers.%d.", top: llamaTop,
	block: with(llamaBlock, "ffn_norm", "", "post_attention_norm", "post_attention_layernorm",
		"attn_sinks", "self_attn.sinks", "ffn_gate_inp", "mlp.router",
		"ffn_gate", "", "ffn_up", "", "ffn_down", ""),
	bare: map[string]bool{"attn_sinks": true}, ownExperts: true}

func init() { archs["gpt-oss"] = gptOssArch }

// ossRoles are the GGUF expert roles GptOssModel writes.
var ossRoles = map[string]bool{"ffn_gate_exps": true, "ffn_up_exps": true, "ffn_gate_up_exps": true, "ffn_down_exps": true}

// ossFused is one of transformers' fused expert tensors of a layer, made of
// the layer's GGUF expert tensors.
type ossFused struct {
	kind  string // gate_up_proj, gate_up_proj_bias, down_proj, down_proj_bias
	parts map[string]TensorInfo
	shape []int // Hugging Face shape
}

// addGptOssPart records t when it is one of a gpt-oss layer's expert
// tensors (ok false otherwise).
func (m *Model) addGptOssPart(t TensorInfo, layers map[int]map[string]TensorInfo) (ok bool, err error) {
	if m.arch != gptOssArch {
		return false, nil
	}
	b := blockName.FindStringSubmatch(t.Name)
	if b == nil || !ossRoles[b[2]] {
		return false, nil
	}
	l, err := strconv.Atoi(b[1])
	if err != nil || l > 1<<16 {
		return false, nil
	}
	if !t.Type.Supported() {
		return true, fmt.Errorf("tensor %s has type %s, which qfilters cannot dequantize (supported: %s)", t.Name, t.Type, supportedList())
	}
	if layers[l] == nil {
		layers[l] = map[string]TensorInfo{}
	}
	layers[l][b[2]+"."+b[3]] = t
	return true, nil
}

// finishGptOss checks each layer's expert tensors and registers the fused
// tensors transformers holds: gate_up_proj [E][H][2I] and its bias [E][2I],
// down_proj [E][I][H] and its bias [E][H].
func (m *Model) finishGptOss(layers map[int]map[string]TensorInfo) error {
	if m.arch != gptOssArch {
		return nil
	}
	var ls []int
	for l := range layers {
		ls = append(ls, l)
	}
	sort.Ints(ls)
	for _, l := range ls {
		p := layers[l]
		get := func(role string) (TensorInfo, error) {
			t, ok := p[role]
			if !ok {
				return t, fmt.Errorf("gpt-oss layer %d has expert tensors but no blk.%d.%s", l, l, role)
			}
			return t, nil
		}
		down, err := get("ffn_down_exps.weight")
		if err != nil {
			return err
		}
		if len(down.Dims) != 3 {
			return fmt.Errorf("tensor %s has dimensions %v: expected [inter, hidden, experts]", down.Name, down.Dims)
		}
		I, H, E := down.Dims[0], down.Dims[1], down.Dims[2]
		want := func(t TensorInfo, dims ...int) error {
			if fmt.Sprint(t.Dims) != fmt.Sprint(dims) {
				return fmt.Errorf("tensor %s has dimensions %v, expected %v", t.Name, t.Dims, dims)
			}
			return nil
		}
		gu := map[string]TensorInfo{}
		if t, ok := p["ffn_gate_up_exps.weight"]; ok {
			if err := want(t, H, 2*I, E); err != nil {
				return err
			}
			gu["gate_up"] = t
			bt, err := get("ffn_gate_up_exps.bias")
			if err != nil {
				return err
			}
			if err := want(bt, 2*I, E); err != nil {
				return err
			}
			gu["gate_up.bias"] = bt
		} else {
			for _, r := range []string{"gate", "up"} {
				t, err := get("ffn_" + r + "_exps.weight")
				if err != nil {
					return err
				}
				if err := want(t, H, I, E); err != nil {
					return err
				}
				bt, err := get("ffn_" + r + "_exps.bias")
				if err != nil {
					return err
				}
				if err := want(bt, I, E); err != nil {
					return err
				}
				gu[r], gu[r+".bias"] = t, bt
			}
		}
		db, err := get("ffn_down_exps.bias")
		if err != nil {
			return err
		}
		if err := want(db, H, E); err != nil {
			return err
		}
		pre := fmt.Sprintf(m.arch.layer, l) + "mlp.experts."
		add := func(kind string, parts map[string]TensorInfo, shape ...int) {
			m.fused[pre+kind] = ossFused{kind: kind, parts: parts, shape: shape}
			m.names = append(m.names, pre+kind)
		}
		wgu, bgu := map[string]TensorInfo{}, map[string]TensorInfo{}
		for k, t := range gu {
			if k == "gate" || k == "up" || k == "gate_up" {
				wgu[k] = t
			} else {
				bgu[k] = t
			}
		}
		add("gate_up_proj_bias", bgu, E, 2*I)
		add("down_proj_bias", map[string]TensorInfo{"down.bias": db}, E, H)
		packed := down.Type == MXFP4
		for _, t := range wgu {
			packed = packed && t.Type == MXFP4
		}
		if !packed {
			add("gate_up_proj", wgu, E, H, 2*I)
			add("down_proj", map[string]TensorInfo{"down": down}, E, I, H)
			continue
		}
		// MXFP4 stays packed: transformers' blocks and scales, which the
		// model dequantizes one expert at a time as it does a checkpoint's.
		add("gate_up_proj_blocks", wgu, E, 2*I, H/32, 16)
		add("gate_up_proj_scales", wgu, E, 2*I, H/32)
		add("down_proj_blocks", map[string]TensorInfo{"down": down}, E, H, I/32, 16)
		add("down_proj_scales", map[string]TensorInfo{"down": down}, E, H, I/32)
	}
	return nil
}

// ossTensor builds one fused tensor in transformers' layout.
func (m *Model) ossTensor(name string, f ossFused) (safetensors.Tensor, error) {
	read := func(k string) ([]float32, error) { return m.file.Float32(f.parts[k]) }
	n := 1
	for _, d := range f.shape {
		n *= d
	}
	if strings.HasSuffix(f.kind, "_blocks") || strings.HasSuffix(f.kind, "_scales") {
		n = 0
	}
	out := make([]float32, n)
	switch f.kind {
	case "gate_up_proj": // out[e][h][2i+j] = (gate, up)[j][e][i][h]
		E, H, I := f.shape[0], f.shape[1], f.shape[2]/2
		gate, up, err := m.ossHalves(f, "gate", "up", "gate_up", E, I*H)
		if err != nil {
			return safetensors.Tensor{}, err
		}
		for e := 0; e < E; e++ {
			for i := 0; i < I; i++ {
				for h := 0; h < H; h++ {
					src := (e*I+i)*H + h
					dst := (e*H+h)*2*I + 2*i
					out[dst], out[dst+1] = gate[src], up[src]
				}
			}
		}
	case "gate_up_proj_bias":
		E, I := f.shape[0], f.shape[1]/2
		gate, up, err := m.ossHalves(f, "gate.bias", "up.bias", "gate_up.bias", E, I)
		if err != nil {
			return safetensors.Tensor{}, err
		}
		for k := range gate {
			out[2*k], out[2*k+1] = gate[k], up[k]
		}
	case "down_proj": // out[e][i][h] = down[e][h][i]
		E, I, H := f.shape[0], f.shape[1], f.shape[2]
		v, err := read("down")
		if err != nil {
			return safetensors.Tensor{}, err
		}
		for e := 0; e < E; e++ {
			for h := 0; h < H; h++ {
				for i := 0; i < I; i++ {
					out[(e*I+i)*H+h] = v[(e*H+h)*I+i]
				}
			}
		}
	case "down_proj_bias":
		v, err := read("down.bias")
		if err != nil {
			return safetensors.Tensor{}, err
		}
		copy(out, v)
	default:
		b, err := m.ossPacked(f)
		if err != nil {
			return safetensors.Tensor{}, err
		}
		return safetensors.Tensor{Name: name, DType: safetensors.U8, Shape: f.shape, Data: b}, nil
	}
	return safetensors.Tensor{Name: name, DType: safetensors.F32, Shape: f.shape, Data: f32Bytes(out)}, nil
}

// ossHalves reads the gate and up parts ([E][per] each), from two tensors
// or from the fused one (per expert: the gate part, then the up part).
func (m *Model) ossHalves(f ossFused, gate, up, fused string, E, per int) ([]float32, []float32, error) {
	if t, ok := f.parts[fused]; ok {
		v, err := m.file.Float32(t)
		if err != nil {
			return nil, nil, err
		}
		g, u := make([]float32, 0, E*per), make([]float32, 0, E*per)
		for e := 0; e < E; e++ {
			g = append(g, v[2*e*per:(2*e+1)*per]...)
			u = append(u, v[(2*e+1)*per:(2*e+2)*per]...)
		}
		return g, u, nil
	}
	g, err := m.file.Float32(f.parts[gate])
	if err != nil {
		return nil, nil, err
	}
	u, err := m.file.Float32(f.parts[up])
	return g, u, err
}

// gptOssConfig reads what GptOssModel writes: the experts (count, used,
// their intermediate size) and the sliding window. llama.cpp makes the even
// layers sliding (as GptOssConfig's default layer_types). Its YaRN is
// transformers' with truncate false (GptOssConfig's), which the file
// cannot say; ggml floors and ceils the correction range, so llama.cpp's
// own RoPE differs from the checkpoint's there (we follow the checkpoint).
func (m *Model) gptOssConfig(c map[string]any, key func(string) string, layers int) error {
	if err := m.moeCounts(c, key, "num_local_experts"); err != nil {
		return err
	}
	ff, err := m.file.intKey(key("expert_feed_forward_length"), -1)
	if err != nil {
		return err
	}
	if ff <= 0 {
		return fmt.Errorf("metadata %s is missing", key("expert_feed_forward_length"))
	}
	c["intermediate_size"] = ff
	window, err := m.file.intKey(key("attention.sliding_window"), 0)
	if err != nil {
		return err
	}
	if window <= 0 {
		return fmt.Errorf("metadata %s is missing: gpt-oss alternates sliding and full layers", key("attention.sliding_window"))
	}
	c["sliding_window"] = window
	types := repeat("full_attention", layers)
	for i := range types {
		if i%2 == 0 {
			types[i] = "sliding_attention"
		}
	}
	c["layer_types"] = types
	if !m.has("blk.0.attn_sinks.weight") {
		return fmt.Errorf("gpt-oss file without blk.0.attn_sinks.weight (the attention sinks)")
	}
	return nil
}

// ossPacked undoes GptOssModel.repack_mxfp4 for one layer: ggml's MXFP4
// blocks (a scale byte, then 16 bytes whose low nibbles are elements 0..15
// and high nibbles 16..31) back into transformers' blocks (byte j holds
// elements 2j and 2j+1) or scales, gate and up rows interleaved again
// (gate row i at 2i, up row i at 2i+1).
func (m *Model) ossPacked(f ossFused) ([]byte, error) {
	scales := strings.HasSuffix(f.kind, "_scales")
	E, rows, groups := f.shape[0], f.shape[1], f.shape[2]
	per := 1
	if !scales {
		per = 16
	}
	out := make([]byte, 0, E*rows*groups*per)
	emit := func(blk []byte) {
		if scales {
			out = append(out, blk[0])
			return
		}
		var el [32]byte
		for j, q := range blk[1:17] {
			el[j], el[j+16] = q&15, q>>4
		}
		for j := 0; j < 16; j++ {
			out = append(out, el[2*j]|el[2*j+1]<<4)
		}
	}
	rowBytes := groups * 17
	if t, ok := f.parts["down"]; ok {
		raw, err := m.file.Raw(t)
		if err != nil {
			return nil, err
		}
		for r := 0; r < E*rows; r++ {
			for g := 0; g < groups; g++ {
				emit(raw[r*rowBytes+g*17 : r*rowBytes+(g+1)*17])
			}
		}
		return out, nil
	}
	// gate_up: rows/2 gate rows and rows/2 up rows per expert, from two
	// tensors or the fused one (gate rows, then up rows).
	half := rows / 2
	var gate, up []byte
	var err error
	if t, ok := f.parts["gate_up"]; ok {
		raw, err := m.file.Raw(t)
		if err != nil {
			return nil, err
		}
		for e := 0; e < E; e++ {
			base := e * rows * rowBytes
			gate = append(gate, raw[base:base+half*rowBytes]...)
			up = append(up, raw[base+half*rowBytes:base+rows*rowBytes]...)
		}
	} else {
		if gate, err = m.file.Raw(f.parts["gate"]); err != nil {
			return nil, err
		}
		if up, err = m.file.Raw(f.parts["up"]); err != nil {
			return nil, err
		}
	}
	for e := 0; e < E; e++ {
		for i := 0; i < half; i++ {
			for _, src := range [][]byte{gate, up} {
				row := src[(e*half+i)*rowBytes : (e*half+i+1)*rowBytes]
				for g := 0; g < groups; g++ {
					emit(row[g*17 : (g+1)*17])
				}
			}
		}
	}
	return out, nil
}
