package calibrate

import (
	"math"
)

// Split-half stability. Sequences, not tokens, are the independent draws of
// a corpus, so a layer's sampled query rows are split by the sequence each
// comes from: sequence i falls in fold i mod 4 (a fold never changes when
// sequences are added, and every fold spreads over the whole corpus order),
// and the four folds pair into the three balanced splits of two halves,
// {0,2}|{1,3} (even and odd sequences), {0,1}|{2,3} and {0,3}|{1,2}. Each
// half is solved exactly as the full sample is (same principal direction,
// same sign rule on its own rows, same GQA averaging); a head's stability is
// the mean over the splits of the cosine of its two halves' filters (splits
// with an empty half are left out: with two or three sequences only the
// even/odd one counts). Three splits rather than one: on synthetic heads the
// relative spread of 1 - stability falls from 0.24 (one split) to 0.14, for
// four more solves per layer; bootstrap resamples would need the rows of
// every draw and do not merge from shard statistics, the folds' Gram sums do.
// Each half has half of the sequences and of the sampled rows, so its error
// variance is twice the full filter's: under the 1/n law, a rerun of the
// full calibration on as many other sequences agrees with this one to about
// 1 - (1 - stability)/2 (docs/STABILITY.md).

// stabilityFolds is the number of folds; foldSplits says which half each
// fold is in, for each split.
const stabilityFolds = 4

var foldSplits = [3][stabilityFolds]int{{0, 1, 0, 1}, {0, 0, 1, 1}, {0, 1, 1, 0}}

// halfRows splits a layer's rows (n rows of width w, at the given global
// positions) into the two halves of split, keeping their order.
func halfRows(rows []float32, positions []int, w int, seqOf func(p int) int, split [stabilityFolds]int) (half [2][]float32, n [2]int) {
	for i, p := range positions {
		k := split[seqOf(p)%stabilityFolds]
		half[k] = append(half[k], rows[i*w:(i+1)*w]...)
		n[k]++
	}
	return half, n
}

// layerStability solves the halves of each split of a layer's rows and
// returns the mean cosine of the halves' filters per query head and per
// key/value head (the GQA averages), or nil when every split has an empty
// half (a single sequence).
func layerStability(rows []float32, positions []int, heads, kvHeads, d int, rule SignRule, seqOf func(p int) int) (q, kv []float32, err error) {
	var sq, skv []float64
	splits := 0
	for _, split := range foldSplits {
		half, n := halfRows(rows, positions, heads*d, seqOf, split)
		if n[0] == 0 || n[1] == 0 {
			continue
		}
		a, err := solveRows(half[0], n[0], heads, d, rule)
		if err != nil {
			return nil, nil, err
		}
		b, err := solveRows(half[1], n[1], heads, d, rule)
		if err != nil {
			return nil, nil, err
		}
		q, kv := halvesCosine(a, b, kvHeads)
		sq, skv = addCosines(sq, q), addCosines(skv, kv)
		splits++
	}
	if splits == 0 {
		return nil, nil, nil
	}
	return meanCosines(sq, splits), meanCosines(skv, splits), nil
}

// addCosines adds c to the running sums s (allocated on first use).
func addCosines(s []float64, c []float32) []float64 {
	if s == nil {
		s = make([]float64, len(c))
	}
	for i, v := range c {
		s[i] += float64(v)
	}
	return s
}

func meanCosines(s []float64, n int) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(v / float64(n))
	}
	return out
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
