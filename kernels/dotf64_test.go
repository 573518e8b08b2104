package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDotsF64 checks the float64 row dot products on every path against
// exact-order sums, for row lengths with and without the assembly's
// multiple of 4 and row counts around its 4-row step.
func TestDotsF64(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	forPaths(t, func(t *testing.T) {
		for _, d := range []int{1, 3, 4, 8, 12, 32, 64, 80, 128} {
			for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 33} {
				q := make([]float64, d)
				k := make([]float64, n*d)
				for i := range q {
					q[i] = r.NormFloat64()
				}
				for i := range k {
					k[i] = r.NormFloat64()
				}
				dst := make([]float64, n)
				for i := range dst {
					dst[i] = math.NaN()
				}
				DotsF64(dst, q, k)
				for j := range n {
					var want, mag float64
					for c := range d {
						want += q[c] * k[j*d+c]
						mag += math.Abs(q[c] * k[j*d+c])
					}
					if math.Abs(dst[j]-want) > 1e-14*mag {
						t.Errorf("d %d n %d row %d: %v, want %v", d, n, j, dst[j], want)
					}
				}
			}
		}
	})
}
