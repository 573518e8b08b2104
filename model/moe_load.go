package model

import (
	"fmt"

	"github.com/qfilters/qfilters/kernels"
	"github.com/qfilters/qfilters/safetensors"
)

// loadMoE reads layer l's sparse MoE block: router (and its correction
// bias), experts stored one per module or as 3-D tensors, shared expert.
func (m *Model) loadMoE(l int, act func(float32) float32) (mlp, error) {
	c, f := m.Config, m.fam
	name := func(role string) string { return f.layerName(l, role) }
	moe := &moeMLP{topK: c.ExpertsPerToken, normTopK: c.NormTopK, routing: f.routing, scale: float32(c.RoutedScale),
		groups: [2]int{c.Groups, c.TopKGroups}, scaleInput: f.routing == sigmoidTopKRouting}
	var err error
	if moe.router, err = m.linear(name(f.router), c.Experts, c.Hidden, false); err != nil {
		return nil, err
	}
	if f.routerBias != "" {
		if moe.bias, err = m.vector(name(f.routerBias), c.Experts); err != nil {
			return nil, err
		}
	}
	// A family with 3-D expert tensors also reads them split per expert
	// (the layout llama.cpp's converter leaves, which a GGUF presents).
	split := f.expert != "" && hasTensor(m.ckpt, name(fmt.Sprintf(f.expert, 0)+f.expertGate+".weight"))
	if f.fusedGateUp != "" && !split {
		if moe.experts, err = m.fusedExperts(name(f.fusedGateUp), name(f.fusedDown), act); err != nil {
			return nil, err
		}
	} else {
		for e := 0; e < c.Experts; e++ {
			prefix := name(fmt.Sprintf(f.expert, e))
			ex, err := m.gated(prefix+f.expertGate, prefix+f.expertUp, prefix+f.expertDn, c.ExpertIntermediate, act)
			if err != nil {
				return nil, err
			}
			moe.experts = append(moe.experts, ex)
		}
	}
	if f.shared != "" && c.SharedIntermediate > 0 {
		p := name(f.shared)
		if moe.shared, err = m.gated(p+"gate_proj", p+"up_proj", p+"down_proj", c.SharedIntermediate, act); err != nil {
			return nil, err
		}
	}
	return moe, nil
}

// fusedExperts splits 3-D expert tensors into per-expert gated MLPs:
// gateUp [E][2I][H] (gate rows first) and down [E][H][I], views of the
// stored bytes; or, fusedInOut, [E][H][2I] and [E][I][H], transposed into
// copies.
func (m *Model) fusedExperts(gateUp, down string, act func(float32) float32) ([]*gatedMLP, error) {
	c := m.Config
	E, I, H := c.Experts, c.ExpertIntermediate, c.Hidden
	inOut := m.fam.fusedInOut
	guDims, dnDims := []int{E, 2 * I, H}, []int{E, H, I}
	if inOut {
		guDims, dnDims = []int{E, H, 2 * I}, []int{E, I, H}
	}
	gu, err := m.stacked(gateUp, guDims...)
	if err != nil {
		return nil, err
	}
	dn, err := m.stacked(down, dnDims...)
	if err != nil {
		return nil, err
	}
	es := elemSize(gu.DType)
	// block returns expert e's [rows][cols] slab of t, whose experts hold
	// per bytes each, starting at row r0 of the slab's rows.
	block := func(t kernels.Matrix, e, per, r0, rows, cols int) kernels.Matrix {
		out := kernels.Matrix{Rows: rows, Cols: cols, DType: t.DType}
		if t.Data != nil {
			off := e*per + r0*cols*elemSize(t.DType)
			out.Data = t.Data[off : off+rows*cols*elemSize(t.DType)]
		}
		return out
	}
	var experts []*gatedMLP
	for e := 0; e < E; e++ {
		var g, u, d kernels.Matrix
		if inOut {
			slab := block(gu, e, H*2*I*es, 0, H, 2*I)
			g = transposeCols(slab, 0, I)
			u = transposeCols(slab, I, 2*I)
			d = transposeCols(block(dn, e, I*H*elemSize(dn.DType), 0, I, H), 0, H)
		} else {
			g = block(gu, e, 2*I*H*es, 0, I, H)
			u = block(gu, e, 2*I*H*es, I, I, H)
			d = block(dn, e, H*I*elemSize(dn.DType), 0, H, I)
		}
		experts = append(experts, &gatedMLP{gate: &linear{w: g, bf16: m.bf16}, up: &linear{w: u, bf16: m.bf16},
			down: &linear{w: d, bf16: m.bf16}, act: act, silu: isSiLU(c.Activation)})
	}
	return experts, nil
}

// stacked reads a weight of shape dims (leading dimensions stacked) as one
// matrix of dims[last] columns, in its stored dtype.
func (m *Model) stacked(name string, dims ...int) (kernels.Matrix, error) {
	dt, err := m.shape(name, dims...)
	if err != nil {
		return kernels.Matrix{}, err
	}
	cols := dims[len(dims)-1]
	rows := 1
	for _, d := range dims[:len(dims)-1] {
		rows *= d
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
	w := kernels.Matrix{Rows: rows, Cols: cols, DType: kd}
	if m.dryRun {
		return w, nil
	}
	t, err := m.ckpt.Tensor(name)
	if err != nil {
		return kernels.Matrix{}, err
	}
	w.Data = t.Data
	return w, checkFinite(name, w)
}

// transposeCols returns columns [from, to) of w transposed: a [to-from][w.Rows]
// matrix in w's dtype (a copy; nil data stays nil).
func transposeCols(w kernels.Matrix, from, to int) kernels.Matrix {
	out := kernels.Matrix{Rows: to - from, Cols: w.Rows, DType: w.DType}
	if w.Data == nil {
		return out
	}
	es := elemSize(w.DType)
	out.Data = make([]byte, out.Rows*out.Cols*es)
	for r := 0; r < w.Rows; r++ {
		for c := from; c < to; c++ {
			src := (r*w.Cols + c) * es
			dst := ((c-from)*out.Cols + r) * es
			copy(out.Data[dst:dst+es], w.Data[src:src+es])
		}
	}
	return out
}
