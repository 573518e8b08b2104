package model

// RotaryTable returns layer l's rotary embedding for positions from..to-1:
// the number of dimensions of each head that rotate (dimension i pairs with
// i + rotary/2, transformers' rotate_half convention; the rest stay put),
// and cos and sin, [to-from][rotary/2] each, as the forward pass applies
// them (scaled for longrope). A NoPE layer rotates nothing (0, nil, nil).
// Where the family rotates interleaved pairs, RotationLayout moves a matrix
// built in the rotate_half convention to the layer's own.
func (c *Config) RotaryTable(l, from, to int) (rotary int, cos, sin []float32) {
	if c.isNoPE(l) {
		return 0, nil, nil
	}
	r := newRope(c.Rope[l], c.HeadDim)
	cos, sin = r.table(from, to)
	return r.rotary, cos, sin
}

// RotationLayout returns R, a d×d matrix (row-major) acting on head
// vectors in the rotate_half convention (dimension i paired with
// i + rotary/2), re-indexed for the layout RoPE uses: unchanged, or, for
// interleaved RoPE (GLM-4, Cohere, Llama 4), with pair (i, i+rotary/2) moved
// to (2i, 2i+1).
func (c *Config) RotationLayout(R []float64, d, rotary int) []float64 {
	if !c.RopeInterleaved || rotary == 0 {
		return R
	}
	half := rotary / 2
	to := make([]int, d)
	for j := range to {
		switch {
		case j < half:
			to[j] = 2 * j
		case j < rotary:
			to[j] = 2*(j-half) + 1
		default:
			to[j] = j
		}
	}
	out := make([]float64, d*d)
	for a := 0; a < d; a++ {
		for b := 0; b < d; b++ {
			out[to[a]*d+to[b]] = R[a*d+b]
		}
	}
	return out
}
