package eval

import (
	"math"

	"github.com/qfilters/qfilters/kernels"
)

// The recall views need every causal attention row of every head in
// float64: T²/2 dot products per head. These helpers compute them as
// Attention does (the same exponentials and divisions; the dot products,
// from keys converted to float64 once per head, by kernels.DotsF64, whose
// vector sums differ from Attention's sequential ones by rounding only).

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
// lo..hi (k row-major [seq][len(q)]), with scale, optional soft-capping and
// a learned sink logit (NoSink for none, see AttentionSink): AttentionSink's
// values (to float64 rounding), indexed by key position.
func attnRow(p, q, k []float64, lo, hi int, scale, softcap, sink float64) {
	d := len(q)
	maxS := math.Inf(-1)
	kernels.DotsF64(p[lo:hi+1], q, k[lo*d:(hi+1)*d])
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
	hasSink := !math.IsInf(sink, -1) // without one, the sums below are bit for bit those of old
	if hasSink {
		maxS = max(maxS, sink)
	}
	var sum float64
	for j := range row {
		row[j] = math.Exp(row[j] - maxS)
		sum += row[j]
	}
	if hasSink {
		sum += math.Exp(sink - maxS)
	}
	for j := range row {
		row[j] /= sum
	}
}
