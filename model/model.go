// Package model runs the decoder-only transformers that Q-Filters are
// calibrated on, reproducing Hugging Face transformers' float32 forward pass.
// Architectures are data (family files); one generic block runs them all.
// The model is executed layer by layer so that only one layer's weights are
// held at a time.
package model

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/qfilters/qfilters/kernels"
	"github.com/qfilters/qfilters/safetensors"
)

// Model is an opened checkpoint: its config and lazily read weights.
type Model struct {
	Config *Config
	Dir    string
	fam    *family
	ckpt   Weights
	// dryRun makes the tensor readers check names and shapes only.
	dryRun bool
	// bf16 makes the layers' matrix products compute in bf16.
	bf16 bool
}

// SetPrecision chooses the arithmetic of the layers' matrix products: "f32"
// (the default, transformers' float32 forward) or "bf16" (inputs and weights
// rounded to bf16, float32 accumulation: what the reference's bf16 autocast
// does on GPUs). Attention, norms and the solve stay in float32.
func (m *Model) SetPrecision(p string) error {
	switch p {
	case "f32", "":
		m.bf16 = false
	case "bf16":
		m.bf16 = true
	default:
		return fmt.Errorf("--precision must be f32 or bf16, got %q", p)
	}
	return nil
}

// Open opens the model at path (see openSource for what it may be) and
// checks from the tensor headers that it holds every tensor the config
// implies. Tensors are read when a layer is loaded.
func Open(path string) (*Model, error) {
	cfg, src, err := openSource(path)
	if err != nil {
		return nil, err
	}
	return New(path, cfg, src)
}

// New builds a model of cfg's architecture whose tensors come from src,
// which it then owns (closed by Close, or here on error), seen through the
// views cfg calls for (weightsView). dir names the checkpoint in messages.
func New(dir string, cfg *Config, src Weights) (*Model, error) {
	fam, _ := familyFor(cfg.ModelType, cfg.Architecture)
	w, err := weightsView(src, fam, cfg)
	if err != nil {
		src.Close()
		return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	m := &Model{Config: cfg, Dir: dir, fam: fam, ckpt: w}
	if err := m.checkPresent(); err != nil {
		w.Close()
		return nil, err
	}
	return m, nil
}

// Close releases the checkpoint files.
func (m *Model) Close() error { return m.ckpt.Close() }

// Weights gives access to the underlying tensors (provenance, tests).
func (m *Model) Weights() Weights { return m.ckpt }

// checkPresent verifies up front, from the headers alone, that every tensor
// the forward pass reads exists with the shape the config implies, so a
// broken checkpoint fails before hours of compute rather than at its last
// layer.
func (m *Model) checkPresent() error {
	m.dryRun = true
	defer func() { m.dryRun = false }()
	c := m.Config
	if _, err := m.Embedding(); err != nil {
		return err
	}
	for l := 0; l < c.Layers; l++ {
		if _, err := m.Layer(l, true); err != nil {
			return err
		}
	}
	if _, err := m.norm(m.fam.finalNorm, c.Hidden); err != nil {
		return err
	}
	_, err := m.linear(m.lmHead(), c.Vocab, c.Hidden, false)
	return err
}

// lmHead names the output projection (the embedding when tied).
func (m *Model) lmHead() string {
	if m.Config.TieEmbeddings || m.fam.lmHead == "" {
		return m.fam.embed
	}
	return m.fam.lmHead
}

// shape checks that name exists with the given shape and returns its dtype.
func (m *Model) shape(name string, dims ...int) (safetensors.DType, error) {
	dt, shape, ok := m.ckpt.Info(name)
	if !ok {
		return "", fmt.Errorf("checkpoint %s: tensor %s missing", m.Dir, name)
	}
	if !slices.Equal(shape, dims) {
		return "", fmt.Errorf("tensor %s has shape %v, config says %v", name, shape, dims)
	}
	return dt, nil
}

// matrix reads a 2-D weight kept in its stored dtype.
func (m *Model) matrix(name string, rows, cols int) (kernels.Matrix, error) {
	dt, err := m.shape(name, rows, cols)
	if err != nil {
		return kernels.Matrix{}, err
	}
	var kd kernels.DType
	switch dt {
	case safetensors.F32:
		kd = kernels.F32
	case safetensors.F16:
		kd = kernels.F16
	case safetensors.BF16:
		kd = kernels.BF16
	default:
		return kernels.Matrix{}, fmt.Errorf("tensor %s: dtype %s not supported for weights (F32, F16, BF16)", name, dt)
	}
	if m.dryRun {
		return kernels.Matrix{Rows: rows, Cols: cols, DType: kd}, nil
	}
	t, err := m.ckpt.Tensor(name)
	if err != nil {
		return kernels.Matrix{}, err
	}
	w := kernels.Matrix{Rows: rows, Cols: cols, DType: kd, Data: t.Data}
	return w, checkFinite(name, w)
}

// vector reads a 1-D tensor as float32, checking its length and values.
func (m *Model) vector(name string, n int) ([]float32, error) {
	if _, err := m.shape(name, n); err != nil {
		return nil, err
	}
	if m.dryRun {
		return nil, nil
	}
	t, err := m.ckpt.Tensor(name)
	if err != nil {
		return nil, err
	}
	v, err := t.Float32()
	if err != nil {
		return nil, err
	}
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("tensor %s: non-finite value %v at index %d", name, x, i)
		}
	}
	return v, nil
}

// linear reads name.weight [out][in] and, when withBias, name.bias [out].
func (m *Model) linear(name string, out, in int, withBias bool) (*linear, error) {
	w, err := m.matrix(name+".weight", out, in)
	if err != nil {
		return nil, err
	}
	l := &linear{w: w, bf16: m.bf16}
	if !withBias && hasTensor(m.ckpt, name+".bias") {
		// Ignoring it would silently compute another model.
		return nil, fmt.Errorf("tensor %s.bias is in the checkpoint but the config implies no bias there (attention_bias / mlp_bias)", name)
	}
	if withBias {
		if l.bias, err = m.vector(name+".bias", out); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// norm reads a norm's weight (and bias for LayerNorm) of width n.
func (m *Model) norm(name string, n int) (*norm, error) {
	w, err := m.vector(name+".weight", n)
	if err != nil {
		return nil, err
	}
	nm := &norm{kind: m.fam.norm, weight: w, eps: m.Config.NormEps}
	if nm.kind == layerNorm {
		if nm.bias, err = m.vector(name+".bias", n); err != nil {
			return nil, err
		}
	}
	return nm, nil
}

func (m *Model) embedWith(e kernels.Matrix, ids []int) ([]float32, error) {
	c := m.Config
	h := make([]float32, len(ids)*c.Hidden)
	var scale float32 = 1
	if m.fam.embedScale {
		scale = float32(math.Sqrt(float64(c.Hidden)))
	}
	if c.EmbedMultiplier != 0 {
		scale = float32(c.EmbedMultiplier)
	}
	for i, id := range ids {
		if id < 0 || id >= c.Vocab {
			return nil, fmt.Errorf("token id %d at position %d is outside the vocabulary (size %d)", id, i, c.Vocab)
		}
		row := h[i*c.Hidden : (i+1)*c.Hidden]
		decodeRow(row, e, id)
		if scale != 1 {
			for j := range row {
				row[j] *= scale
			}
		}
	}
	return h, nil
}

// Logits applies the final norm and the LM head to h [seq][hidden] and
// returns [seq][vocab].
func (m *Model) Logits(h []float32, seq int) ([]float32, error) {
	c := m.Config
	fn, err := m.norm(m.fam.finalNorm, c.Hidden)
	if err != nil {
		return nil, err
	}
	x := append([]float32(nil), h...)
	fn.apply(x)
	lm, err := m.linear(m.lmHead(), c.Vocab, c.Hidden, false)
	if err != nil {
		return nil, err
	}
	out := lm.apply(x, seq)
	if c.LogitScale != 0 {
		s := float32(c.LogitScale)
		for i := range out {
			out[i] *= s
		}
	}
	if c.FinalSoftcap > 0 {
		softcap(out, c.FinalSoftcap)
	}
	return out, nil
}

// Forward runs the whole model over ids and returns the logits, calling
// capture with every layer's queries and keys. Calibration uses the
// layer-major path instead; this one serves tests and evaluation.
func (m *Model) Forward(ids []int, capture Capture) ([]float32, error) {
	emb, err := m.Embedding()
	if err != nil {
		return nil, err
	}
	h, err := emb.Embed(ids)
	if err != nil {
		return nil, err
	}
	for l := 0; l < m.Config.Layers; l++ {
		layer, err := m.Layer(l, true)
		if err != nil {
			return nil, err
		}
		layer.Forward(h, []int{len(ids)}, capture)
	}
	return m.Logits(h, len(ids))
}

// decodeRow converts row r of w to float32 (embedding lookups read single
// rows so the table is never converted whole).
func decodeRow(dst []float32, w kernels.Matrix, r int) {
	n := w.Cols
	switch w.DType {
	case kernels.F32:
		b := w.Data[r*n*4:]
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[i*4:]))
		}
	case kernels.BF16:
		b := w.Data[r*n*2:]
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[i*2:])) << 16)
		}
	case kernels.F16:
		b := w.Data[r*n*2:]
		for i := range dst {
			dst[i] = kernels.F16ToF32(binary.LittleEndian.Uint16(b[i*2:]))
		}
	}
}
