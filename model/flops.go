package model

// CalibrationFLOPs counts the floating-point operations (multiply and add
// counted separately) of calibrating on seqs sequences of seqLen tokens:
// every layer but the last in full (projections, causal attention, MLP), the
// last up to its query projection. No LM head. Softmax, norms and RoPE are
// left out: they are linear in the tokens and small.
func (c *Config) CalibrationFLOPs(seqs, seqLen int) float64 {
	t := float64(seqs * seqLen)
	h := float64(c.Hidden)
	q := float64(c.Heads * c.HeadDim)
	kv := float64(c.KVHeads * c.HeadDim)
	var perLayer float64
	perLayer += 2 * t * h * (q + 2*kv) // q, k, v projections
	perLayer += 2 * t * q * h          // o projection
	// Causal attention: QKᵀ and PV over about seqLen²/2 pairs per head.
	perLayer += 2 * 2 * float64(seqs) * float64(seqLen) * float64(seqLen+1) / 2 * q
	mlp := 3 * 2 * t * h * float64(c.Intermediate)
	if c.Experts > 0 {
		mlp = 3 * 2 * t * h * (float64(c.ExpertIntermediate)*float64(c.ExpertsPerToken) + float64(c.SharedIntermediate))
	}
	perLayer += mlp
	return float64(c.Layers-1)*perLayer + 2*t*h*q
}
