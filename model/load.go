package model

import (
	"fmt"
	"math"
)

// Layer reads layer l's weights. withMLP false loads only what produces the
// queries (calibration's last layer needs nothing more).
func (m *Model) Layer(l int, withMLP bool) (*Layer, error) {
	if l < 0 || l >= m.Config.Layers {
		return nil, fmt.Errorf("layer %d out of range 0..%d", l, m.Config.Layers-1)
	}
	layer, err := m.loadLayer(l, withMLP)
	if err != nil {
		return nil, fmt.Errorf("layer %d: %w", l, err)
	}
	return layer, nil
}

func (m *Model) loadLayer(l int, withMLP bool) (*Layer, error) {
	c, f := m.Config, m.fam
	name := func(role string) string { return f.layerName(l, role) }
	ly := &Layer{Index: l, cfg: c, rope: newRope(c.Rope[l], c.HeadDim), window: c.Window[l]}
	ly.scale = 1 / math.Sqrt(float64(c.HeadDim))
	if f.llama4QueryScale && c.Rope[l].Llama4Beta > 0 {
		ly.qScaleBeta, ly.qScaleOrig = c.Rope[l].Llama4Beta, c.Rope[l].OriginalMaxPositions
		if ly.qScaleOrig <= 0 {
			return nil, fmt.Errorf("llama_4_scaling_beta needs original_max_position_embeddings in the rope parameters")
		}
	}
	if f.attnScale != nil {
		ly.scale = f.attnScale(c)
	}
	m.layerBlocks(ly)
	var err error
	optNorm := func(role string, n int) *norm {
		if role == "" || err != nil {
			return nil
		}
		var nm *norm
		nm, err = m.norm(name(role), n)
		return nm
	}
	ly.attnNorm = optNorm(f.attnNorm, c.Hidden)
	qDim, kvDim := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	if err != nil {
		return nil, err
	}
	switch {
	case f.qkvPerHead:
		if ly.qkvPerHead, err = m.linear(name(f.qkv), 3*qDim, c.Hidden, c.AttentionBias); err != nil {
			return nil, err
		}
	case f.qkv != "":
		fused, err := m.linear(name(f.qkv), qDim+2*kvDim, c.Hidden, c.AttentionBias)
		if err != nil {
			return nil, err
		}
		ly.q, ly.k, ly.v = fused.rows(0, qDim), fused.rows(qDim, qDim+kvDim), fused.rows(qDim+kvDim, qDim+2*kvDim)
	default:
		if ly.q, err = m.linear(name(f.q), qDim, c.Hidden, c.AttentionBias); err != nil {
			return nil, err
		}
		if ly.k, err = m.linear(name(f.k), kvDim, c.Hidden, c.AttentionBias); err != nil {
			return nil, err
		}
		if ly.v, err = m.linear(name(f.v), kvDim, c.Hidden, c.AttentionBias); err != nil {
			return nil, err
		}
	}
	if f.qNorm != "" && !c.NoQKNorm {
		qn, kn := c.HeadDim, c.HeadDim
		if f.qkNormWhole {
			qn, kn = qDim, kvDim
		}
		ly.qNorm = optNorm(f.qNorm, qn)
		ly.kNorm = optNorm(f.kNorm, kn)
	}
	if f.sinks != "" && err == nil {
		ly.sinks, err = m.vector(name(f.sinks), c.Heads)
	}
	if err != nil || !withMLP {
		return ly, err
	}
	// The output projection has a bias where q/k/v have one, except in
	// families whose o_proj never has one (Qwen 2).
	if ly.o, err = m.linear(name(f.o), c.Hidden, qDim, c.AttentionBias && !f.oNoBias); err != nil {
		return nil, err
	}
	ly.postAttnNorm = optNorm(f.postAttnNorm, c.Hidden)
	ly.preMLPNorm = optNorm(f.preMLPNorm, c.Hidden)
	ly.postMLPNorm = optNorm(f.postMLPNorm, c.Hidden)
	if err != nil {
		return nil, err
	}
	ly.mlp, err = m.loadMLP(l)
	return ly, err
}

func (m *Model) loadMLP(l int) (mlp, error) {
	c, f := m.Config, m.fam
	name := func(role string) string { return f.layerName(l, role) }
	if f.customMLP != nil {
		return f.customMLP(m, l)
	}
	act, err := activation(c.Activation)
	if err != nil {
		return nil, err
	}
	switch {
	case c.isMoELayer(l) && f.router != "":
		return m.loadMoE(l, act)
	case f.plainMLP:
		up, err := m.linear(name(f.up), c.Intermediate, c.Hidden, true)
		if err != nil {
			return nil, err
		}
		down, err := m.linear(name(f.down), c.Hidden, c.Intermediate, true)
		if err != nil {
			return nil, err
		}
		return &plainMLP{up: up, down: down, act: act}, nil
	case f.gateUp != "":
		gu, err := m.linear(name(f.gateUp), 2*c.Intermediate, c.Hidden, c.MLPBias)
		if err != nil {
			return nil, err
		}
		down, err := m.linear(name(f.down), c.Hidden, c.Intermediate, c.MLPBias)
		if err != nil {
			return nil, err
		}
		return &gatedMLP{gate: gu.rows(0, c.Intermediate), up: gu.rows(c.Intermediate, 2*c.Intermediate), down: down, act: act,
			silu: isSiLU(c.Activation)}, nil
	default:
		return m.gated(name(f.gate), name(f.up), name(f.down), c.Intermediate, act)
	}
}

func (m *Model) gated(gate, up, down string, inter int, act func(float32) float32) (*gatedMLP, error) {
	c := m.Config
	g, err := m.linear(gate, inter, c.Hidden, c.MLPBias)
	if err != nil {
		return nil, err
	}
	u, err := m.linear(up, inter, c.Hidden, c.MLPBias)
	if err != nil {
		return nil, err
	}
	d, err := m.linear(down, c.Hidden, inter, c.MLPBias)
	if err != nil {
		return nil, err
	}
	return &gatedMLP{gate: g, up: u, down: d, act: act, silu: isSiLU(c.Activation)}, nil
}
