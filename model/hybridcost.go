package model

import "runtime"

// Memory and work of calibrating a hybrid model (Qwen3-Next, Qwen 3.5): the
// linear-attention layers have other weights than the attention ones, and
// carry a fixed-size recurrent state per sequence instead of keys.

// attnGateFactor is 2 when q_proj also yields the output gate, else 1.
func (c *Config) attnGateFactor() int64 {
	if len(c.Linear) > 0 && c.DeltaNet.KeyHeads > 0 {
		return 2 // the hybrid families all gate their attention output
	}
	return 1
}

// mlpParams is the parameter count of layer l's MLP.
func (c *Config) mlpParams(l int) int64 {
	h := int64(c.Hidden)
	if c.isMoELayer(l) {
		n := int64(c.Experts)*3*h*int64(c.ExpertIntermediate) + int64(c.Experts)*h
		if c.SharedExpertIntermediate > 0 {
			n += 3*h*int64(c.SharedExpertIntermediate) + h
		}
		return n
	}
	return 3 * h * int64(c.Intermediate)
}

// deltaWidths are a linear-attention layer's projected widths: the
// convolved q/k/v channels, and z, b, a together.
func (c *Config) deltaWidths() (conv, rest int64) {
	d := c.DeltaNet
	return int64(d.convDim()), int64(d.ValueHeads*d.ValueDim + 2*d.ValueHeads)
}

// hybridWorkingSet is WorkingSet for a model with linear-attention layers:
// two layers' weights (the largest layer counted twice), the hidden states,
// one chunk's activations, and the recurrence's per-head buffers (a
// sequence's q, k, v of one head and its state, per thread).
func (c *Config) hybridWorkingSet(seqs, seqLen int) (weights, hidden, activations int64) {
	h := int64(c.Hidden)
	q := int64(c.Heads * c.HeadDim)
	kv := int64(c.KVHeads * c.HeadDim)
	conv, rest := c.deltaWidths()
	vd := int64(c.DeltaNet.ValueHeads * c.DeltaNet.ValueDim)
	var largest, inter int64
	for l := 0; l < c.Layers; l++ {
		n := c.mlpParams(l)
		if c.Linear[l] {
			n += h*(conv+rest) + vd*h + conv*int64(c.DeltaNet.ConvKernel)
		} else {
			n += h*(q*c.attnGateFactor()+2*kv) + q*h
		}
		largest = max(largest, n)
	}
	inter = int64(c.Intermediate)
	if c.Experts > 0 {
		inter = max(int64(c.ExpertIntermediate), int64(c.SharedExpertIntermediate))
	}
	weights = 2 * 4 * largest
	tokens := int64(seqs) * int64(seqLen)
	hidden = 2 * 4 * tokens * h
	chunk := min(tokens, maxChunkRows)
	width := max(q*c.attnGateFactor()+2*kv+q, 2*conv+rest+vd)
	activations = 4 * chunk * (h + width + 2*inter)
	d := c.DeltaNet
	perThread := 4*int64(seqLen)*int64(2*d.KeyDim+2*d.ValueDim+2) + 8*int64(d.KeyDim*d.ValueDim)
	activations += perThread * int64(min(seqs*d.ValueHeads, runtime.GOMAXPROCS(0)))
	return weights, hidden, activations
}

// hybridFLOPs is CalibrationFLOPs for a model with linear-attention layers.
func (c *Config) hybridFLOPs(seqs, seqLen int) float64 {
	t := float64(seqs * seqLen)
	h := float64(c.Hidden)
	q := float64(c.Heads * c.HeadDim)
	kv := float64(c.KVHeads * c.HeadDim)
	conv, rest := c.deltaWidths()
	d := c.DeltaNet
	vd := float64(d.ValueHeads * d.ValueDim)
	var total float64
	for l := 0; l < c.Layers; l++ {
		last := l == c.Layers-1
		if c.Linear[l] {
			if last {
				break // no queries: nothing to compute
			}
			total += 2 * t * h * float64(conv+rest)                               // projections
			total += 2 * t * float64(conv) * float64(d.ConvKernel)                // convolution
			total += 8 * t * float64(d.ValueHeads) * float64(d.KeyDim*d.ValueDim) // decay, read, write, output
			total += 2 * t * vd * h                                               // out_proj
		} else {
			if last {
				total += 2 * t * h * q * float64(c.attnGateFactor())
				break
			}
			total += 2 * t * h * (q*float64(c.attnGateFactor()) + 2*kv)
			total += 2 * t * q * h
			total += 2 * 2 * float64(seqs) * float64(seqLen) * float64(seqLen+1) / 2 * q
		}
		mlp := 3 * 2 * t * h * float64(c.Intermediate)
		if c.isMoELayer(l) {
			mlp = 3 * 2 * t * h * float64(c.ExpertIntermediate) * float64(c.ExpertsPerToken)
			mlp += 3 * 2 * t * h * float64(c.SharedExpertIntermediate)
		}
		total += mlp
	}
	return total
}
