package model

// RotaryTable returns layer l's rotary embedding for positions from..to-1:
// the number of dimensions of each head that rotate (dimension i pairs with
// i + rotary/2, transformers' rotate_half convention; the rest stay put),
// and cos and sin, [to-from][rotary/2] each, as the forward pass applies
// them (scaled for longrope).
func (c *Config) RotaryTable(l, from, to int) (rotary int, cos, sin []float32) {
	r := newRope(c.Rope[l], c.HeadDimOf(l))
	cos, sin = r.table(from, to)
	return r.rotary, cos, sin
}
