package calibrate

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/qfilters/qfilters/kernels"
)

// SignRule decides the orientation of a head's principal direction.
type SignRule string

const (
	// SignVote is the reference script's rule: +v1 when more than half of
	// the samples project positively on it.
	SignVote SignRule = "vote"
	// SignMean is the paper's rule: +v1 when the samples' projections on it
	// sum to a positive number (the sign of the mean query along v1).
	SignMean SignRule = "mean"
)

// headResult is one query head's solved filter.
type headResult struct {
	filter    []float64 // -sign·v1, unit norm
	singular  []float64 // descending, len head_dim
	agreement float64   // share of samples with positive projection on -filter
}

// headStats are the sufficient statistics of one query head's samples:
// the Gram matrix XᵀX (upper triangle), the sum of the rows and their count.
// They add up across shards (Merge adds them field by field).
type headStats struct {
	gram  []float64 // [d][d]
	sum   []float64 // [d]
	count int
}

func newHeadStats(d int) *headStats {
	return &headStats{gram: make([]float64, d*d), sum: make([]float64, d)}
}

// add accumulates rows of x: n rows of stride floats, the head's d values
// starting at offset off.
func (s *headStats) add(x []float32, n, stride, off int) {
	d := len(s.sum)
	row := make([]float64, d)
	for r := 0; r < n; r++ {
		src := x[r*stride+off : r*stride+off+d]
		for i, v := range src {
			row[i] = float64(v)
			s.sum[i] += row[i]
		}
		// Upper triangle only; mirrored in solve.
		for i := 0; i < d; i++ {
			// g[j] += row[i]·row[j] for j ≥ i, vectorized, same bits.
			kernels.AddMulF64(s.gram[i*d+i:i*d+d], row[i], row[i:d])
		}
	}
	s.count += n
}

// principal returns the first right singular vector of the samples (the top
// eigenvector of XᵀX, in an arbitrary orientation) and all singular values,
// descending.
func (s *headStats) principal() (v1, singular []float64, err error) {
	d := len(s.sum)
	sym := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			sym.SetSym(i, j, s.gram[i*d+j])
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, true) {
		return nil, nil, fmt.Errorf("eigen-decomposition of the query Gram matrix did not converge")
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	singular = make([]float64, d)
	for i := range singular {
		singular[i] = math.Sqrt(math.Max(vals[d-1-i], 0))
	}
	v1 = make([]float64, d)
	for i := range v1 {
		v1[i] = vecs.At(i, d-1)
	}
	return v1, singular, nil
}

// samples gives the vote access to a head's sample rows.
type samples interface {
	// countPositive returns how many samples project positively on v, of n.
	countPositive(v []float64) (pos, n int)
}

// solveHead computes one head's filter from its statistics; rows (nil in
// merged mean-rule runs) gives the vote its samples.
func solveHead(s *headStats, rule SignRule, rows samples) (*headResult, error) {
	if s.count == 0 {
		return nil, fmt.Errorf("no query samples")
	}
	v1, singular, err := s.principal()
	if err != nil {
		return nil, err
	}
	return orient(v1, singular, s, rule, rows)
}

// orient applies the sign rule to a head's principal direction v1 and
// returns its filter.
func orient(v1, singular []float64, s *headStats, rule SignRule, rows samples) (*headResult, error) {
	sign := -1.0
	agreement := math.NaN()
	switch rule {
	case SignVote:
		if rows == nil {
			return nil, fmt.Errorf("the vote sign rule needs the samples themselves")
		}
		pos, n := rows.countPositive(v1)
		switch {
		case 2*pos > n:
			sign = 1
		case 2*pos == n:
			// An exact tie carries no information, and the reference's
			// answer then hangs on how its LAPACK happened to orient v1.
			// Break it with the paper's rule instead: the sign of the mean.
			if dot(v1, s.sum) > 0 {
				sign = 1
			}
		}
		agreement = math.Max(float64(pos), float64(n-pos)) / float64(n)
	case SignMean:
		if dot(v1, s.sum) > 0 {
			sign = 1
		}
		if rows != nil {
			pos, n := rows.countPositive(v1)
			if sign < 0 {
				pos = n - pos
			}
			agreement = float64(pos) / float64(n)
		}
	default:
		return nil, fmt.Errorf("unknown sign rule %q (vote, mean)", rule)
	}
	filter := make([]float64, len(v1))
	for i, v := range v1 {
		filter[i] = -sign * v
	}
	return &headResult{filter: filter, singular: singular, agreement: agreement}, nil
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// headRows is one head's slice of a layer's sampled query rows.
type headRows struct {
	x              []float32
	n, stride, off int
	d              int
}

// countPositive counts rows whose projection on v is > 0 (zero counts as not
// positive, as the reference's "> 0").
func (h headRows) countPositive(v []float64) (int, int) {
	pos := 0
	for r := 0; r < h.n; r++ {
		src := h.x[r*h.stride+h.off : r*h.stride+h.off+h.d]
		var p float64
		for i, f := range src {
			p += float64(f) * v[i]
		}
		if p > 0 {
			pos++
		}
	}
	return pos, h.n
}
