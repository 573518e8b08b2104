package eval

import "math"

// The recall views need every causal attention row of every head in
// float64: T²/2 dot products per head. These helpers compute them as
// Attention does, bit for bit (the same products summed in the same order,
// the same exponentials and divisions), four keys at a time from keys
// converted to float64 once per head.

// toF64 converts rows of equal length d to one row-major float64 slice.
func toF64(rows [][]float32, d int) []float64 {
	out := make([]float64, len(rows)*d)
	for i, r := range rows {
		o := out[i*d : (i+1)*d]
		for t, x := range r[:d] {
			o[t] = float64(x)
		}
	}
	return out
}

// attnRow writes into p[lo..hi] the softmax attention of query q over keys
// lo..hi (k row-major [seq][len(q)]), with scale and optional soft-capping:
// Attention's values, indexed by key position.
func attnRow(p, q, k []float64, lo, hi int, scale, softcap float64) {
	d := len(q)
	maxS := math.Inf(-1)
	j := lo
	for ; j+3 <= hi; j += 4 {
		k0 := k[j*d : j*d+d][:len(q)] // (the reslices drop the bounds checks)
		k1 := k[j*d+d : j*d+2*d][:len(q)]
		k2 := k[j*d+2*d : j*d+3*d][:len(q)]
		k3 := k[j*d+3*d : j*d+4*d][:len(q)]
		var s0, s1, s2, s3 float64
		for t, x := range q {
			s0 += x * k0[t]
			s1 += x * k1[t]
			s2 += x * k2[t]
			s3 += x * k3[t]
		}
		p[j], p[j+1], p[j+2], p[j+3] = s0, s1, s2, s3
	}
	for ; j <= hi; j++ {
		kj := k[j*d : j*d+d][:len(q)]
		var s float64
		for t, x := range q {
			s += x * kj[t]
		}
		p[j] = s
	}
	row := p[lo : hi+1]
	for j, s := range row {
		s *= scale
		if softcap > 0 {
			s = softcap * math.Tanh(s/softcap)
		}
		row[j] = s
		if s > maxS { // math.Max, but for NaN and signed zeros (no effect below)
			maxS = s
		}
	}
	var sum float64
	for j := range row {
		row[j] = math.Exp(row[j] - maxS)
		sum += row[j]
	}
	for j := range row {
		row[j] /= sum
	}
}
