package model

// WorkingSet estimates the memory a calibration of seqs sequences of seqLen
// tokens holds at once, in bytes: two layers' weights (the current one and
// the next, read while the current computes; counted at 4 bytes a parameter,
// an upper bound for bf16 checkpoints), the hidden states of every token
// (float32, with a residual copy), and one chunk's activations. It is what
// a scheduler's memory request should cover, plus the process's own ~100 MB.
func (c *Config) WorkingSet(seqs, seqLen int) (weights, hidden, activations int64) {
	h := int64(c.Hidden)
	q := int64(c.Heads * c.HeadDim)
	kv := int64(c.KVHeads * c.HeadDim)
	inter := int64(c.Intermediate)
	mlp := 3 * h * inter
	if c.Experts > 0 {
		inter = int64(c.ExpertIntermediate)
		mlp = int64(c.Experts)*3*h*inter + int64(c.Experts)*h + 3*h*int64(c.SharedIntermediate)
	}
	layer := h*(q+2*kv) + q*h + mlp
	weights = 2 * 4 * layer
	if c.Quant.Method == "mxfp4" && c.Experts > 0 {
		// gpt-oss: the experts stay packed (4.25 bits a weight) and one
		// expert at a time is dequantized to bf16 (mxfp4.go).
		experts := int64(c.Experts) * 3 * h * inter
		weights = 2*(4*(layer-experts)+experts*17/32) + 2*2*h*inter
	}
	tokens := int64(seqs) * int64(seqLen)
	hidden = 2 * 4 * tokens * h
	chunk := min(tokens, maxChunkRows)
	activations = 4 * chunk * (h + q + 2*kv + 2*inter)
	return weights, hidden, activations
}
