package model

import "math"

// Proportional RoPE (Gemma 4's global layers; transformers'
// _compute_proportional_rope_parameters): the whole head rotates with
// rotate_half pairing (i, i + head_dim/2), the first
// int(partial_rotary_factor·head_dim/2) pairs at frequencies
// theta^(-2i/head_dim) (the exponent over the whole head dim, not the rotated
// part), the other pairs at frequency 0 (cos 1, sin 0: unchanged); all
// frequencies divided by factor (default 1).
//
// Kept in its own file: the helper adding RoPE types on another branch may
// bring its own; this one is what Gemma 4 needs.
func proportionalRope(rc RopeConfig, headDim int) *rope {
	r := &rope{cfg: rc, rotary: headDim, scale: 1}
	angles := int(math.Floor(rc.PartialFactor * float64(headDim) / 2))
	inv := make([]float32, headDim/2)
	factor := rc.Factor
	if factor == 0 {
		factor = 1
	}
	for i := 0; i < angles && i < len(inv); i++ {
		exp := float32(2*i) / float32(headDim)
		inv[i] = float32(1/float64(float32(math.Pow(rc.Theta, float64(exp))))) / float32(factor)
	}
	r.invFreq = inv
	return r
}
