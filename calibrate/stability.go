package calibrate

import (
	"math"
)

// Split-half stability: a layer's sampled query rows are split by the
// parity of the sequence each row comes from (sequences, not tokens, are the
// independent draws of a corpus; parity keeps both halves spread over the
// whole corpus order and does not move a sequence from one half to the other
// when more sequences are added). Each half is solved exactly as the full
// sample is (same principal direction, same sign rule on its own rows, same
// GQA averaging), and the cosine of the two halves' filters is the head's
// stability. Each half has half of the sequences and of the sampled rows, so
// its error variance is twice the full filter's: under the 1/n law, a rerun
// of the full calibration on as many other sequences agrees with this one to
// about 1 - (1 - stability)/2 (see docs/STABILITY.md).

// halfRows splits a layer's rows (n rows of width w, at the given global
// positions) into those of even and of odd sequences, keeping their order.
func halfRows(rows []float32, positions []int, w int, seqOf func(p int) int) (even, odd []float32, nEven, nOdd int) {
	for i, p := range positions {
		r := rows[i*w : (i+1)*w]
		if seqOf(p)%2 == 0 {
			even = append(even, r...)
			nEven++
		} else {
			odd = append(odd, r...)
			nOdd++
		}
	}
	return even, odd, nEven, nOdd
}

// layerStability solves each half of a layer's rows and returns the cosine
// of the halves' filters per query head and per key/value head (the GQA
// averages), or nil when a half has no rows (a single sequence).
func layerStability(rows []float32, positions []int, heads, kvHeads, d int, rule SignRule, seqOf func(p int) int) (q, kv []float32, err error) {
	even, odd, nEven, nOdd := halfRows(rows, positions, heads*d, seqOf)
	if nEven == 0 || nOdd == 0 {
		return nil, nil, nil
	}
	a, err := solveRows(even, nEven, heads, d, rule)
	if err != nil {
		return nil, nil, err
	}
	b, err := solveRows(odd, nOdd, heads, d, rule)
	if err != nil {
		return nil, nil, err
	}
	q, kv = halvesCosine(a, b, kvHeads)
	return q, kv, nil
}

// halvesCosine returns the cosine of two halves' filters per query head and
// per key/value head (GQA averages, as Result.store averages them).
func halvesCosine(a, b []*headResult, kvHeads int) (q, kv []float32) {
	heads, d := len(a), len(a[0].filter)
	q = make([]float32, heads)
	for h := range heads {
		q[h] = float32(cosine64(a[h].filter, b[h].filter))
	}
	rep := heads / kvHeads
	kv = make([]float32, kvHeads)
	ga, gb := make([]float64, d), make([]float64, d)
	for g := range kvHeads {
		for i := range d {
			var sa, sb float64
			for h := g * rep; h < (g+1)*rep; h++ {
				sa += a[h].filter[i]
				sb += b[h].filter[i]
			}
			ga[i], gb[i] = sa/float64(rep), sb/float64(rep)
		}
		kv[g] = float32(cosine64(ga, gb))
	}
	return q, kv
}

// cosine64 is the cosine of a and b, 0 when either is zero, clamped to
// [-1, 1].
func cosine64(a, b []float64) float64 {
	var ab, aa, bb float64
	for i, x := range a {
		ab += x * b[i]
		aa += x * x
		bb += b[i] * b[i]
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return math.Max(-1, math.Min(1, ab/math.Sqrt(aa*bb)))
}

// offsetsSeqOf maps a global position to its sequence, for sequences
// starting at offsets (offsets[i] is sequence i's first position; the last
// entry is the total).
func offsetsSeqOf(offsets []int) func(p int) int {
	return func(p int) int {
		lo, hi := 0, len(offsets)-1 // offsets[lo] <= p < offsets[hi]
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			if offsets[mid] <= p {
				lo = mid
			} else {
				hi = mid
			}
		}
		return lo
	}
}

// seqOffsets returns the first position of each sequence and the total.
func seqOffsets(seqs [][]int) []int {
	offsets := make([]int, len(seqs)+1)
	for s, ids := range seqs {
		offsets[s+1] = offsets[s] + len(ids)
	}
	return offsets
}
