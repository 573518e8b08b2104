package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAddMulF64: every path gives the Go statement's bits (product rounded,
// then the sum; a fused multiply-add would differ in the last bit often).
func TestAddMulF64(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	forPaths(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 7, 8, 9, 64, 67} {
			dst, x := make([]float64, n), make([]float64, n+3)
			for i := range dst {
				dst[i] = r.NormFloat64() * 1e3
			}
			for i := range x {
				x[i] = r.NormFloat64()
			}
			a := r.NormFloat64()
			want := append([]float64(nil), dst...)
			for j := range want {
				want[j] += float64(a * x[j]) // the conversion forbids fusing
			}
			AddMulF64(dst, a, x)
			for j := range dst {
				if math.Float64bits(dst[j]) != math.Float64bits(want[j]) {
					t.Fatalf("n=%d: [%d] = %v, want %v", n, j, dst[j], want[j])
				}
			}
		}
	})
}

// BenchmarkAddMulF64: one sample's rank-one update of a 64x64 Gram matrix's
// upper triangle, as the calibration statistics do it.
func BenchmarkAddMulF64(b *testing.B) {
	const d = 64
	row, gram := make([]float64, d), make([]float64, d*d)
	for i := range row {
		row[i] = float64(i) / d
	}
	for _, p := range Paths() {
		b.Run(p.String(), func(b *testing.B) {
			defer SetPath(p)()
			for n := 0; n < b.N; n++ {
				for i := 0; i < d; i++ {
					AddMulF64(gram[i*d+i:i*d+d], row[i], row[i:d])
				}
			}
		})
	}
}
