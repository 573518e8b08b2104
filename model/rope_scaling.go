package model

import (
	"fmt"
	"math"
)

// The RoPE scalings of transformers 5.x beyond default, linear, llama3 and
// longrope (rope.go): dynamic NTK and YaRN, read from the config here and
// turned into inverse frequencies the way modeling_rope_utils.py computes
// them, in float32 where it computes in float32.

// readScaling fills the dynamic / yarn / query-scaling parameters of rc from
// params (one rope_parameters or rope_scaling dict); top is the config's
// top-level rope dict, where transformers reads yarn's truncate.
func (rc *RopeConfig) readScaling(p *reader, top map[string]any) {
	rc.BetaFast = p.float("beta_fast", 0)
	rc.BetaSlow = p.float("beta_slow", 0)
	rc.Mscale = p.float("mscale", 0)
	rc.MscaleAllDim = p.float("mscale_all_dim", 0)
	rc.Llama4Beta = p.float("llama_4_scaling_beta", 0)
	// _compute_yarn_parameters reads config.rope_parameters.get("truncate",
	// True): the top-level dict, so with per-layer-type parameters it is
	// always True.
	t := reader{raw: top}
	rc.Truncate = t.bool("truncate", true)
	if p.err == nil && t.err != nil {
		p.err = t.err
	}
}

// checkScaling validates and derives the parameters of the types handled
// here; ok is false for other types.
func (rc *RopeConfig) checkScaling(maxPos int) (ok bool, err error) {
	if rc.Type != "yarn" {
		rc.Truncate = false // only yarn reads it
	}
	switch rc.Type {
	case "dynamic":
		if !(rc.Factor > 0) {
			return true, fmt.Errorf("rope type dynamic needs a positive factor")
		}
		if maxPos <= 0 {
			return true, fmt.Errorf("rope type dynamic needs max_position_embeddings")
		}
		rc.MaxPositions = maxPos
		return true, nil
	case "yarn":
		if rc.OriginalMaxPositions <= 0 {
			return true, fmt.Errorf("rope type yarn needs original_max_position_embeddings or max_position_embeddings")
		}
		if rc.Factor == 0 { // transformers: max_position_embeddings / original
			rc.Factor = float64(maxPos) / float64(rc.OriginalMaxPositions)
		}
		if !(rc.Factor > 0) || math.IsInf(rc.Factor, 0) {
			return true, fmt.Errorf("rope type yarn needs a positive factor, got %v", rc.Factor)
		}
		if rc.BetaFast == 0 {
			rc.BetaFast = 32
		}
		if rc.BetaSlow == 0 {
			rc.BetaSlow = 1
		}
		if rc.AttentionFactor == 0 {
			if rc.Mscale != 0 && rc.MscaleAllDim != 0 {
				rc.AttentionFactor = yarnMscale(rc.Factor, rc.Mscale) / yarnMscale(rc.Factor, rc.MscaleAllDim)
			} else {
				rc.AttentionFactor = yarnMscale(rc.Factor, 1)
			}
		}
		if !(rc.AttentionFactor > 0) || math.IsInf(rc.AttentionFactor, 0) {
			return true, fmt.Errorf("rope type yarn: attention factor %v must be positive", rc.AttentionFactor)
		}
		return true, nil
	}
	return false, nil
}

// yarnMscale is YaRN's get_mscale: 0.1·m·ln(s) + 1 above s = 1.
func yarnMscale(scale, m float64) float64 {
	if scale <= 1 {
		return 1
	}
	return 0.1*m*math.Log(scale) + 1
}

// yarnFrequencies blends, per frequency, the interpolated (divided by the
// factor) and the extrapolated (unchanged) inverse frequencies with a linear
// ramp between the dimensions where beta_fast and beta_slow rotations fit
// in the original context.
func yarnFrequencies(rc RopeConfig, dim int) []float32 {
	corr := func(rot float64) float64 {
		return float64(dim) * math.Log(float64(rc.OriginalMaxPositions)/(rot*2*math.Pi)) / (2 * math.Log(rc.Theta))
	}
	low, high := corr(rc.BetaFast), corr(rc.BetaSlow)
	if rc.Truncate {
		low, high = math.Floor(low), math.Ceil(high)
	}
	low, high = math.Max(low, 0), math.Min(high, float64(dim-1))
	if low == high {
		high += 0.001 // transformers' guard against a zero-width ramp
	}
	lo32, width32 := float32(low), float32(high-low)
	factor := float32(rc.Factor)
	out := make([]float32, dim/2)
	for i := range out {
		exp := float32(2*i) / float32(dim)
		pos := float32(math.Pow(rc.Theta, float64(exp)))
		extra := 1 / pos
		inter := 1 / (factor * pos)
		ramp := min(max((float32(i)-lo32)/width32, 0), 1)
		ext := 1 - ramp
		out[i] = inter*(1-ext) + extra*ext
	}
	return out
}

// dynamicFrequencies is dynamic NTK at a sequence of seqLen tokens past
// max_position_embeddings: the base grows to theta·(factor·len/max −
// (factor−1))^(dim/(dim−2)). transformers computes this from the tensor
// max(position_ids)+1, so in float32 throughout.
func dynamicFrequencies(rc RopeConfig, dim, seqLen int) []float32 {
	x := float32(rc.Factor) * float32(seqLen)
	x /= float32(rc.MaxPositions)
	x -= float32(rc.Factor - 1)
	p := float32(math.Pow(float64(x), float64(float32(float64(dim)/float64(dim-2)))))
	base := float32(rc.Theta) * p
	out := make([]float32, dim/2)
	for i := range out {
		exp := float32(2*i) / float32(dim)
		out[i] = 1 / float32(math.Pow(float64(base), float64(exp)))
	}
	return out
}

// llama4QueryScale is Ministral 3's position-dependent query scale,
// 1 + β·ln(1 + ⌊pos/original⌋), in float32 as transformers computes it.
func llama4QueryScale(beta float64, orig, pos int) float32 {
	f := float32(math.Floor(float64(float32(pos) / float32(orig))))
	return 1 + float32(beta)*float32(math.Log(float64(1+f)))
}
