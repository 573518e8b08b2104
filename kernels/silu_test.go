package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSiLUMul: every path gives siluMulGo's bits, over typical activations,
// the range edges where math.Exp changes branch, and special values, at
// lengths that leave tails.
func TestSiLUMul(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var xs []float32
	for i := 0; i < 4000; i++ {
		xs = append(xs, float32(r.NormFloat64()*4))
	}
	for i := 0; i < 1000; i++ {
		xs = append(xs, float32((r.Float64()*2-1)*800))
	}
	inf := float32(math.Inf(1))
	xs = append(xs, 0, float32(math.Copysign(0, -1)), 1e-40, -1e-40, 708, -708, 708.1, -708.1, 709.9, -745.5,
		inf, -inf, float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, 88.7, -88.7, 103.9, -103.9)
	r.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
	forPaths(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 3, 4, 7, 64, len(xs)} {
			u := make([]float32, n)
			for i := range u {
				u[i] = float32(r.NormFloat64())
			}
			want := append([]float32(nil), xs[:n]...)
			siluMulGo(want, u)
			got := append([]float32(nil), xs[:n]...)
			SiLUMul(got, u)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) &&
					!(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
					t.Fatalf("n=%d: silu(%v)·%v = %v, want %v", n, xs[i], u[i], got[i], want[i])
				}
			}
		}
	})
}

// BenchmarkSiLUMul: the SwiGLU pass of one chunk of a 1B model's MLP
// (512 tokens x 8192), on every path.
func BenchmarkSiLUMul(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	g0, u := randSlice(r, 512*8192), randSlice(r, 512*8192)
	g := make([]float32, len(g0))
	for _, p := range Paths() {
		b.Run(p.String(), func(b *testing.B) {
			defer SetPath(p)()
			for i := 0; i < b.N; i++ {
				copy(g, g0)
				SiLUMul(g, u)
			}
			b.ReportMetric(float64(len(g))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	}
}
