package model

import "math"

// rope holds a layer's rotary embedding: inverse frequencies for the rotating
// part of each head and the factor applied to cos and sin (longrope).
type rope struct {
	cfg     RopeConfig
	rotary  int       // dimensions that rotate (head_dim x partial factor)
	invFreq []float32 // rotary/2 entries; longrope: the short factors
	long    []float32 // longrope: the long factors, used past the original length
	scale   float32   // attention factor on cos/sin
	// interleaved: dimension 2i pairs with 2i+1 (GLM-4, Cohere, Llama 4)
	// rather than i with i + rotary/2.
	interleaved bool
}

// newRope computes inverse frequencies the way transformers does, in float32.
func newRope(rc RopeConfig, headDim int) *rope {
	r := &rope{cfg: rc, rotary: int(float64(headDim) * rc.PartialFactor), scale: 1}
	half := r.rotary / 2
	base := make([]float32, half)
	for i := range base {
		exp := float32(2*i) / float32(r.rotary)
		base[i] = float32(1 / float64(float32(math.Pow(rc.Theta, float64(exp)))))
	}
	switch rc.Type {
	case "linear":
		for i := range base {
			base[i] /= float32(rc.Factor)
		}
	case "llama3":
		base = llama3Frequencies(base, rc)
	case "longrope":
		r.long = make([]float32, half)
		short := make([]float32, half)
		for i := range base {
			exp := float32(2*i) / float32(r.rotary)
			p := float32(math.Pow(rc.Theta, float64(exp)))
			short[i] = 1 / (float32(rc.ShortFactor[i]) * p)
			r.long[i] = 1 / (float32(rc.LongFactor[i]) * p)
		}
		base = short
		r.scale = float32(rc.AttentionFactor)
	case "yarn":
		base = yarnFrequencies(rc, r.rotary)
		r.scale = float32(rc.AttentionFactor)
	}
	r.invFreq = base
	return r
}

// llama3Frequencies applies Llama 3.1's smooth interpolation: long
// wavelengths are divided by the factor, short ones kept, the band between
// blended.
func llama3Frequencies(inv []float32, rc RopeConfig) []float32 {
	out := make([]float32, len(inv))
	old := float64(rc.OriginalMaxPositions)
	lowWavelen := old / rc.LowFreqFactor
	highWavelen := old / rc.HighFreqFactor
	for i, f := range inv {
		wavelen := 2 * math.Pi / float64(f)
		switch {
		case wavelen < highWavelen:
			out[i] = f
		case wavelen > lowWavelen:
			out[i] = f / float32(rc.Factor)
		case rc.HighFreqFactor == rc.LowFreqFactor: // no band (and no 0/0)
			out[i] = f
		default:
			smooth := float32((old/wavelen - rc.LowFreqFactor) / (rc.HighFreqFactor - rc.LowFreqFactor))
			out[i] = (1-smooth)*f/float32(rc.Factor) + smooth*f
		}
	}
	return out
}

// table returns cos and sin for positions from..to-1, [to-from][rotary/2]
// each (the halves of transformers' cat(freqs, freqs) are equal).
// Longrope switches to its long factors once the sequence (to) exceeds the
// original context; dynamic NTK grows its base once it exceeds
// max_position_embeddings.
func (r *rope) table(from, to int) (cos, sin []float32) {
	inv := r.invFreq
	if r.long != nil && to > r.cfg.OriginalMaxPositions {
		inv = r.long
	}
	if r.cfg.Type == "dynamic" && to > r.cfg.MaxPositions {
		// transformers recomputes the frequencies for the length seen,
		// max(position_ids)+1: here the end of the span.
		inv = dynamicFrequencies(r.cfg, r.rotary, to)
	}
	half := r.rotary / 2
	cos = make([]float32, (to-from)*half)
	sin = make([]float32, (to-from)*half)
	for p := from; p < to; p++ {
		row := (p - from) * half
		for i, f := range inv {
			angle := float64(float32(p) * f)
			cos[row+i] = float32(math.Cos(angle)) * r.scale
			sin[row+i] = float32(math.Sin(angle)) * r.scale
		}
	}
	return cos, sin
}

// apply rotates the first r.rotary dimensions of every head of x, laid out
// [seq][heads*headDim], with transformers' rotate_half convention: dimension
// i pairs with i + rotary/2 (2i with 2i+1 when interleaved).
func (r *rope) apply(x []float32, seq, heads, headDim int, cos, sin []float32) {
	half := r.rotary / 2
	for p := 0; p < seq; p++ {
		c := cos[p*half : p*half+half]
		s := sin[p*half : p*half+half]
		for h := 0; h < heads; h++ {
			v := x[(p*heads+h)*headDim:]
			if r.interleaved {
				for i := 0; i < half; i++ {
					a, b := v[2*i], v[2*i+1]
					v[2*i] = a*c[i] - b*s[i]
					v[2*i+1] = b*c[i] + a*s[i]
				}
				continue
			}
			for i := 0; i < half; i++ {
				a, b := v[i], v[i+half]
				v[i] = a*c[i] - b*s[i]
				v[i+half] = b*c[i] + a*s[i]
			}
		}
	}
}
