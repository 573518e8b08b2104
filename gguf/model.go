package gguf

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/qfilters/qfilters/safetensors"
)

// Model is a GGUF file seen as a Hugging Face checkpoint: the config.json
// its metadata implies, and its tensors under Hugging Face names, in
// Hugging Face layout, as F32. It has the method set of model.Weights.
type Model struct {
	file     *File
	arch     *arch
	archName string
	config   []byte
	hfToGGUF map[string]string
	slices   map[string]expertSlice // per-expert views of merged expert tensors
	fused    map[string]ossFused    // gpt-oss: transformers' fused expert tensors
	synth    map[string]builtTensor // tensors rebuilt from several (Qwen3-Next's in_proj_qkvz)
	delta    deltaSizes             // Qwen3-Next / Qwen 3.5 DeltaNet sizes
	names    []string
	nHead    int // query heads, for undoing the q/k row permutation
	nKVHead  int
}

// OpenModel opens a GGUF file of a supported architecture. Every tensor the
// model reads must be of a type we dequantize; that is checked here, so a
// file we cannot use fails now rather than hours into a run.
func OpenModel(path string) (*Model, error) {
	g, err := Open(path)
	if err != nil {
		return nil, err
	}
	m, err := newModel(g)
	if err != nil {
		g.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func newModel(g *File) (*Model, error) {
	name, err := g.strKey("general.architecture")
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, fmt.Errorf("metadata general.architecture is missing")
	}
	// One shard of llama-gguf-split's output holds only some tensors: read
	// alone, the model would lack layers (or, without output.weight, look
	// tied).
	if n, err := g.intKey("split.count", 1); err != nil {
		return nil, err
	} else if n > 1 {
		no, _ := g.intKey("split.no", 0)
		return nil, fmt.Errorf("the file is shard %d of a GGUF split into %d (split.count); merge the shards into one file first (llama-gguf-split --merge)", no+1, n)
	}
	a, ok := archs[name]
	if !ok {
		return nil, fmt.Errorf("GGUF architecture %q is not supported (supported: %s)", name, strings.Join(archNames(), ", "))
	}
	m := &Model{file: g, arch: a, archName: name, hfToGGUF: map[string]string{}, slices: map[string]expertSlice{},
		fused: map[string]ossFused{}, synth: map[string]builtTensor{}}
	if a.deltaNet {
		if err := m.readDeltaSizes(); err != nil {
			return nil, err
		}
	}
	if m.config, err = m.hfConfig(); err != nil {
		return nil, err
	}
	m.nHead, _ = g.intKey(name+".attention.head_count", 0)
	m.nKVHead, _ = g.intKey(name+".attention.head_count_kv", m.nHead)
	oss := map[int]map[string]TensorInfo{}
	var unread []string
	for _, t := range g.tensors {
		if ok, err := m.addGptOssPart(t, oss); ok || err != nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		if ok, err := m.addExperts(t); ok || err != nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		hf, ok := a.hfName(t.Name)
		if !ok {
			hf, ok = a.bareHFName(t.Name)
		}
		if !ok {
			hf, ok = a.gemma4Scale(t.Name)
		}
		if !ok {
			unread = append(unread, t.Name)
			continue
		}
		if !t.Type.Supported() {
			return nil, fmt.Errorf("tensor %s has type %s, which qfilters cannot dequantize (supported: %s)", t.Name, t.Type, supportedList())
		}
		if err := m.checkShape(t); err != nil {
			return nil, err
		}
		m.hfToGGUF[hf] = t.Name
		m.names = append(m.names, hf)
	}
	if err := m.checkUnread(unread); err != nil {
		return nil, err
	}
	if err := m.finishGptOss(oss); err != nil {
		return nil, err
	}
	if a.deltaNet {
		if err := m.addQKVZ(); err != nil {
			return nil, err
		}
	}
	sort.Strings(m.names)
	return m, nil
}

// checkUnread refuses a file with a tensor of the text model that no
// Hugging Face tensor comes from: ignoring it would give a model other than
// the file's. Not read, on purpose: the RoPE factor tables (read into the
// config), blocks past the model's layers (GLM-4.5's appended MTP layers),
// Qwen3-Next's split in_proj_qkvz (rebuilt by addQKVZ) and the vision and
// audio encoders some single-file GGUFs carry (Ollama's), under v., mm. and a.
func (m *Model) checkUnread(names []string) error {
	var c struct {
		Layers int `json:"num_hidden_layers"`
	}
	if err := json.Unmarshal(m.config, &c); err != nil {
		return err
	}
	for _, n := range names {
		switch {
		case n == "rope_freqs.weight" || n == "rope_factors_long.weight" || n == "rope_factors_short.weight":
			continue
		case strings.HasPrefix(n, "v.") || strings.HasPrefix(n, "mm.") || strings.HasPrefix(n, "a."):
			continue
		}
		if b := blockName.FindStringSubmatch(n); b != nil {
			if l, err := strconv.Atoi(b[1]); err == nil && l >= c.Layers {
				continue
			}
			if m.archName == "qwen3next" && (b[2] == "attn_qkv" || b[2] == "attn_gate") && b[3] == "weight" {
				continue
			}
		}
		return fmt.Errorf("tensor %s is not one qfilters reads for GGUF architecture %s; a model without it would not be the file's", n, m.archName)
	}
	return nil
}

var blockName = regexp.MustCompile(`^blk\.(\d+)\.(.+)\.(weight|bias)$`)

// hfName maps a GGUF tensor name to its Hugging Face name.
func (a *arch) hfName(name string) (string, bool) {
	if m := blockName.FindStringSubmatch(name); m != nil {
		role, ok := a.block[m[2]]
		if !ok {
			return "", false
		}
		l, err := strconv.Atoi(m[1])
		if err != nil || l > 1<<16 {
			return "", false
		}
		if a.bare[m[2]] {
			return fmt.Sprintf(a.layer, l) + role, true
		}
		return fmt.Sprintf(a.layer, l) + role + "." + m[3], true
	}
	base, suffix, ok := strings.Cut(name, ".")
	if !ok || (suffix != "weight" && suffix != "bias") {
		return "", false
	}
	hf, ok := a.top[base]
	if !ok {
		return "", false
	}
	return hf + "." + suffix, true
}

// Config returns the bytes of the equivalent config.json.
func (m *Model) Config() []byte { return slices.Clone(m.config) }

// Architecture is the GGUF general.architecture.
func (m *Model) Architecture() string { return m.archName }

// File is the underlying GGUF file.
func (m *Model) File() *File { return m.file }

// Info reports a tensor's dtype (always F32 once read) and its Hugging Face
// shape: GGUF dims reversed, [out, in] for a matrix.
func (m *Model) Info(name string) (safetensors.DType, []int, bool) {
	if f, ok := m.fused[name]; ok {
		if strings.HasSuffix(name, "_blocks") || strings.HasSuffix(name, "_scales") {
			return safetensors.U8, slices.Clone(f.shape), true
		}
		return safetensors.F32, slices.Clone(f.shape), true
	}
	if f, ok := m.synth[name]; ok {
		return safetensors.F32, slices.Clone(f.shape), true
	}
	t, ok := m.info(name)
	if !ok {
		return "", nil, false
	}
	return safetensors.F32, m.shapeOf(t), true
}

func (m *Model) info(name string) (TensorInfo, bool) {
	if sl, ok := m.slices[name]; ok {
		return sl.info, true
	}
	g, ok := m.hfToGGUF[name]
	if !ok {
		return TensorInfo{}, false
	}
	return m.file.Tensor(g)
}

func (m *Model) has(gguf string) bool {
	_, ok := m.file.Tensor(gguf)
	return ok
}

func hfShape(dims []int) []int {
	out := make([]int, len(dims))
	for i, d := range dims {
		out[len(dims)-1-i] = d
	}
	return out
}

// Names lists the tensors under their Hugging Face names, sorted.
func (m *Model) Names() []string { return slices.Clone(m.names) }

// Files lists the GGUF file.
func (m *Model) Files() []string { return []string{m.file.Path} }

// Close closes the file.
func (m *Model) Close() error { return m.file.Close() }

// Tensor reads one tensor, dequantizes it to F32 and undoes what llama.cpp's
// converter did to it, so that it equals the Hugging Face tensor.
func (m *Model) Tensor(name string) (safetensors.Tensor, error) {
	if f, ok := m.fused[name]; ok {
		return m.ossTensor(name, f)
	}
	if f, ok := m.synth[name]; ok {
		v, err := f.build()
		if err != nil {
			return safetensors.Tensor{}, err
		}
		return safetensors.Tensor{Name: name, DType: safetensors.F32, Shape: slices.Clone(f.shape), Data: f32Bytes(v)}, nil
	}
	t, ok := m.info(name)
	if !ok {
		return safetensors.Tensor{}, fmt.Errorf("%s: tensor %s missing", m.file.Path, name)
	}
	v, err := m.file.Float32(t)
	if err != nil {
		return safetensors.Tensor{}, err
	}
	shape := m.shapeOf(t)
	if v, err = m.restore(t.Name, v, shape); err != nil {
		return safetensors.Tensor{}, fmt.Errorf("%s: %w", m.file.Path, err)
	}
	return safetensors.Tensor{Name: name, DType: safetensors.F32, Shape: shape, Data: f32Bytes(v)}, nil
}

// checkShape verifies, from the header, that the restorations Tensor will
// apply fit the tensor.
func (m *Model) checkShape(t TensorInfo) error {
	_, err := m.restore(t.Name, nil, m.shapeOf(t))
	return err
}

// shapeOf is a tensor's Hugging Face shape: its GGUF dims reversed, and
// reshaped where the converter squeezed it.
func (m *Model) shapeOf(t TensorInfo) []int {
	if m.arch.deltaNet {
		return m.hybridShape(t.Name, hfShape(t.Dims))
	}
	return hfShape(t.Dims)
}

// restore undoes the converter's changes to one tensor, in place (v nil:
// only check that they apply to this shape).
func (m *Model) restore(name string, v []float32, shape []int) ([]float32, error) {
	if m.arch.deltaNet && len(shape) > 0 {
		if out, done, err := m.restoreHybrid(name, v, shape); done || err != nil {
			return out, err
		}
	}
	rows := 1
	if len(shape) > 0 {
		rows = shape[0]
	}
	cols := 1
	for _, d := range shape[1:] {
		cols *= d
	}
	switch {
	case m.arch.permuteQK && (strings.HasSuffix(name, ".attn_q.weight") || strings.HasSuffix(name, ".attn_q.bias")):
		return unpermute(name, v, rows, cols, m.nHead)
	case m.arch.permuteQK && (strings.HasSuffix(name, ".attn_k.weight") || strings.HasSuffix(name, ".attn_k.bias")):
		return unpermute(name, v, rows, cols, m.nKVHead)
	case m.arch.neoxQKV && (strings.HasSuffix(name, ".attn_qkv.weight") || strings.HasSuffix(name, ".attn_qkv.bias")):
		return unsplitNeoxQKV(name, v, rows, cols, m.nHead)
	case m.arch.normShift && strings.HasSuffix(name, "norm.weight") && !strings.HasSuffix(name, ".ssm_norm.weight"):
		for i := range v {
			v[i] -= 1
		}
	}
	return v, nil
}

// unpermute undoes convert_hf_to_gguf's LlamaModel.permute: within each of
// n heads, Hugging Face row j·(d/2)+i (rotate-half pairs i and i+d/2) was
// written at row 2i+j (llama.cpp's adjacent pairs).
func unpermute(name string, v []float32, rows, cols, n int) ([]float32, error) {
	if n <= 0 || rows%n != 0 || (rows/n)%2 != 0 {
		return nil, fmt.Errorf("tensor %s: %d rows do not split into %d heads of even size", name, rows, n)
	}
	if v == nil {
		return nil, nil
	}
	d := rows / n
	out := make([]float32, len(v))
	for h := 0; h < n; h++ {
		for j := 0; j < 2; j++ {
			for i := 0; i < d/2; i++ {
				dst := h*d + j*(d/2) + i
				src := h*d + 2*i + j
				copy(out[dst*cols:(dst+1)*cols], v[src*cols:(src+1)*cols])
			}
		}
	}
	return out, nil
}

// unsplitNeoxQKV undoes GPTNeoXModel's rewrite of query_key_value: the
// converter wrote all query rows, then all key rows, then all value rows;
// transformers keeps them per head, [h][q,k,v][d].
func unsplitNeoxQKV(name string, v []float32, rows, cols, n int) ([]float32, error) {
	if n <= 0 || rows%(3*n) != 0 {
		return nil, fmt.Errorf("tensor %s: %d rows do not split into q, k, v of %d heads", name, rows, n)
	}
	if v == nil {
		return nil, nil
	}
	d := rows / (3 * n)
	out := make([]float32, len(v))
	for h := 0; h < n; h++ {
		for t := 0; t < 3; t++ {
			for r := 0; r < d; r++ {
				dst := h*3*d + t*d + r
				src := t*n*d + h*d + r
				copy(out[dst*cols:(dst+1)*cols], v[src*cols:(src+1)*cols])
			}
		}
	}
	return out, nil
}
