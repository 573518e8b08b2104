package calibrate

import (
	"fmt"
	"math"

	"github.com/qfilters/qfilters/kernels"
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
// with an empty half are left out: with two sequences the even/odd split
// and {0,3}|{1,2}, which is the same one, count; with three, all three
// splits count, two sequences against one). Three splits rather than one:
// on synthetic heads the relative spread of 1 - stability falls from 0.24 (one split) to 0.14, for
// one more pass over the rows (per fold) and six power iterations per head;
// bootstrap resamples would need the rows of
// every draw and do not merge from shard statistics, the folds' Gram sums do.
// Each half has half of the sequences and of the sampled rows, so its error
// variance is twice the full filter's: under the 1/n law, a rerun of the
// full calibration on as many other sequences agrees with this one to about
// 1 - (1 - stability)/2 (docs/STABILITY.md).

// stabilityFolds is the number of folds; foldSplits says which half each
// fold is in, for each split.
const stabilityFolds = 4

var foldSplits = [3][stabilityFolds]int{{0, 1, 0, 1}, {0, 0, 1, 1}, {0, 1, 1, 0}}

// layerStability solves the halves of each split of a layer's rows and
// returns the mean cosine of the halves' filters per query head and per
// key/value head (the GQA averages), or nil when every split has an empty
// half (a single sequence). start (nil: none) holds the full sample's
// results, whose directions start the halves' power iterations. Each head's rows are summed once per fold; a
// half's Gram matrix and sum are the sums of its two folds', and its sign
// vote counts its folds' rows, so the three splits cost one pass over the
// rows and six eigen-solves per head.
func layerStability(rows []float32, positions []int, heads, kvHeads, d int, rule SignRule, seqOf func(p int) int, start []*headResult) (q, kv []float32, err error) {
	fold := make([]uint8, len(positions))
	var counts [stabilityFolds]int
	for i, p := range positions {
		fold[i] = uint8(seqOf(p) % stabilityFolds)
		counts[fold[i]]++
	}
	w := heads * d
	halves := make([][2][]*headResult, len(foldSplits))
	for i := range halves {
		halves[i] = [2][]*headResult{make([]*headResult, heads), make([]*headResult, heads)}
	}
	errs := make([]error, heads)
	eachHead(heads, func(h int) {
		var folds [stabilityFolds]*headStats
		for k := range folds {
			folds[k] = newHeadStats(d)
		}
		row := make([]float64, d)
		for i, k := range fold {
			folds[k].addRow(rows[i*w+h*d:i*w+h*d+d], row)
		}
		for si, split := range foldSplits {
			for side := range 2 {
				hs := sumFolds(folds, split, side)
				if hs.count == 0 {
					continue
				}
				in := func(i int) bool { return split[fold[i]] == side }
				r, err := solveHalf(hs, rule, someRows{headRows{x: rows, n: len(fold), stride: w, off: h * d, d: d}, in}, startOf(start, h))
				if err != nil {
					errs[h] = err
					return
				}
				halves[si][side][h] = r
			}
		}
	})
	for h, err := range errs {
		if err != nil {
			return nil, nil, fmt.Errorf("head %d: %w", h, err)
		}
	}
	var sq, skv []float64
	splits := 0
	for si, split := range foldSplits {
		if !bothHalves(counts, split) {
			continue
		}
		q, kv := halvesCosine(halves[si][0], halves[si][1], kvHeads)
		sq, skv = addCosines(sq, q), addCosines(skv, kv)
		splits++
	}
	if splits == 0 {
		return nil, nil, nil
	}
	return meanCosines(sq, splits), meanCosines(skv, splits), nil
}

// startOf is head h's full filter as a start for the halves' power
// iteration, or nil.
func startOf(full []*headResult, h int) []float64 {
	if full == nil {
		return nil
	}
	return full[h].filter
}

// bothHalves reports whether both halves of split have rows.
func bothHalves(counts [stabilityFolds]int, split [stabilityFolds]int) bool {
	var n [2]int
	for k, side := range split {
		n[side] += counts[k]
	}
	return n[0] > 0 && n[1] > 0
}

// sumFolds returns the statistics of the folds on one side of split.
func sumFolds(folds [stabilityFolds]*headStats, split [stabilityFolds]int, side int) *headStats {
	d := len(folds[0].sum)
	hs := newHeadStats(d)
	for k, s := range split {
		if s != side {
			continue
		}
		for j, v := range folds[k].gram {
			hs.gram[j] += v
		}
		for j, v := range folds[k].sum {
			hs.sum[j] += v
		}
		hs.count += folds[k].count
	}
	return hs
}

// someRows are the rows of a head that in selects, for the sign vote.
type someRows struct {
	all headRows
	in  func(i int) bool
}

func (s someRows) countPositive(v []float64) (int, int) {
	pos, n := 0, 0
	h := s.all
	for r := 0; r < h.n; r++ {
		if !s.in(r) {
			continue
		}
		n++
		var p float64
		for i, f := range h.x[r*h.stride+h.off : r*h.stride+h.off+h.d] {
			p += float64(f) * v[i]
		}
		if p > 0 {
			pos++
		}
	}
	return pos, n
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

// solveHalf solves one half of a head like solveHead, but finds the
// principal direction by power iteration from start (the full sample's,
// which a half's is close to), falling back to the eigen-decomposition when
// it does not converge; nil start always decomposes. Its singular values
// are not computed.
func solveHalf(s *headStats, rule SignRule, rows samples, start []float64) (*headResult, error) {
	if s.count == 0 {
		return nil, fmt.Errorf("no query samples")
	}
	if start != nil {
		if v1, ok := s.topFrom(start); ok {
			return orient(v1, nil, s, rule, rows)
		}
	}
	return solveHead(s, rule, rows)
}

// Power iteration bounds: the residual |Gv - λv| <= powerTol·λ bounds the
// angle to the top eigenvector by powerTol·λ1/(λ1-λ2), 1e-8 for a gap of a
// tenth of λ1: far below the 1e-5 of the least stable heads' 1 - cosine.
const (
	powerTol   = 1e-9
	powerIters = 500
)

// topFrom returns the top eigenvector of the head's Gram matrix by power
// iteration from start, and whether it converged to it (provably: its
// eigenvalue holds more than half the trace; otherwise the caller
// decomposes).
func (s *headStats) topFrom(start []float64) ([]float64, bool) {
	d := len(s.sum)
	g := make([]float64, d*d)
	for i := range d {
		for j := i; j < d; j++ {
			g[i*d+j], g[j*d+i] = s.gram[i*d+j], s.gram[i*d+j]
		}
	}
	v := append([]float64(nil), start...)
	next := make([]float64, d)
	normalize := func(x []float64) bool {
		n := math.Sqrt(dot(x, x))
		if n == 0 || math.IsNaN(n) || math.IsInf(n, 0) {
			return false
		}
		for i := range x {
			x[i] /= n
		}
		return true
	}
	if !normalize(v) {
		return nil, false
	}
	for range powerIters {
		for i := range d {
			next[i] = dot(g[i*d:(i+1)*d], v)
		}
		lambda := dot(v, next)
		var r float64
		for i := range d {
			e := next[i] - lambda*v[i]
			r += e * e
		}
		if lambda <= 0 {
			return nil, false
		}
		converged := math.Sqrt(r) <= powerTol*lambda
		v, next = next, v
		if !normalize(v) {
			return nil, false
		}
		if converged {
			// Only an eigenvalue above half the trace is surely the top
			// one: from a start near the second eigenvector of a head
			// whose two largest are close, the iteration may settle
			// there, and that is where the halves differ most.
			var trace float64
			for i := range d {
				trace += g[i*d+i]
			}
			return v, lambda > trace/2
		}
	}
	return nil, false
}

// addRow accumulates one row (d values) as add does, converting it into the
// scratch buffer row.
func (s *headStats) addRow(src []float32, row []float64) {
	d := len(s.sum)
	for i, v := range src {
		row[i] = float64(v)
		s.sum[i] += row[i]
	}
	for i := 0; i < d; i++ {
		kernels.AddMulF64(s.gram[i*d+i:i*d+d], row[i], row[i:d])
	}
	s.count++
}
