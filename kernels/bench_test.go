package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// Standard shapes of the forward pass: M tokens against (K in, N out).
var benchShapes = [][3]int{
	{2048, 2048, 2048}, {2048, 2048, 8192}, {2048, 4096, 4096}, {2048, 4096, 14336}, {512, 4096, 4096},
	// Llama-3.2-1B projections at smaller token counts, where packing the
	// weight panels weighs most.
	{512, 2048, 8192}, {1024, 2048, 8192}, {1024, 8192, 2048},
}

func benchMatMulT(b *testing.B, f func(dst, a []float32, m int, w Matrix), d DType) {
	for _, p := range Paths() {
		if p == Generic {
			continue // minutes per op at these sizes
		}
		for _, sh := range benchShapes {
			m, k, n := sh[0], sh[1], sh[2]
			b.Run(fmt.Sprintf("%v/M%d_K%d_N%d", p, m, k, n), func(b *testing.B) {
				defer SetPath(p)()
				r := rand.New(rand.NewPCG(1, 1))
				a := randSlice(r, m*k)
				w, _ := encodeMatrix(randSlice(r, n*k), n, k, d)
				dst := make([]float32, m*n)
				b.ResetTimer()
				cpu0 := processCPU()
				for i := 0; i < b.N; i++ {
					f(dst, a, m, w)
				}
				reportFlops(b, 2*float64(m)*float64(k)*float64(n)*float64(b.N), processCPU()-cpu0)
			})
		}
	}
}

// reportFlops reports GFLOP/s (wall) and GFLOP per CPU-second scaled by
// GOMAXPROCS ("GFLOP/s-cpu": what the wall figure would be with every core to
// ourselves), which stays meaningful when other jobs share the machine.
func reportFlops(b *testing.B, flops float64, cpu time.Duration) {
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu > 0 {
		b.ReportMetric(flops/cpu.Seconds()/1e9*float64(runtime.GOMAXPROCS(0)), "GFLOP/s-cpu")
	}
}

func BenchmarkMatMulTF32(b *testing.B)      { benchMatMulT(b, MatMulT, F32) }
func BenchmarkMatMulTBF16W(b *testing.B)    { benchMatMulT(b, MatMulT, BF16) }
func BenchmarkMatMulTBF16(b *testing.B)     { benchMatMulT(b, MatMulTBF16, BF16) }
func BenchmarkMatMulTBF16F32W(b *testing.B) { benchMatMulT(b, MatMulTBF16, F32) }

// BenchmarkKernel times the micro-kernel alone on L1-resident panels: the
// ceiling the blocked driver can approach on one core.
func BenchmarkKernel(b *testing.B) {
	for _, p := range Paths() {
		ks := available[p]
		for _, bf := range []bool{false, true} {
			kern := ks.f32
			name := p.String() + "/f32"
			if bf {
				if ks.bf16 == nil {
					continue
				}
				kern, name = ks.bf16, p.String()+"/bf16"
			}
			b.Run(name, func(b *testing.B) {
				const kd = 256
				a := make([]float32, kd*ks.mr)
				bb := make([]float32, kd*ks.nr)
				c := make([]float32, ks.mr*ks.nr)
				for i := 0; i < b.N; i++ {
					kern(kd, &a[0], &bb[0], &c[0], ks.nr, true)
				}
				flops := 2 * float64(kd*ks.mr*ks.nr)
				if bf {
					flops *= 2
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkAttention: seq=2048, 32 heads (8 kv heads) of 64 and of 128,
// causal. FLOPs counted: the two products over the causal half,
// 2·2·seq²/2·d·heads.
func BenchmarkAttention(b *testing.B) {
	const seq, heads, kvHeads = 2048, 32, 8
	for _, d := range []int{64, 128} {
		r := rand.New(rand.NewPCG(1, 1))
		q := randSlice(r, seq*heads*d)
		k := randSlice(r, seq*kvHeads*d)
		v := randSlice(r, seq*kvHeads*d)
		out := make([]float32, seq*heads*d)
		for _, p := range Paths() {
			if p == Generic {
				continue
			}
			b.Run(fmt.Sprintf("%v/d%d", p, d), func(b *testing.B) {
				defer SetPath(p)()
				cpu0 := processCPU()
				for i := 0; i < b.N; i++ {
					Attention(out, q, k, v, seq, heads, kvHeads, d, AttentionOpts{Scale: float32(1 / math.Sqrt(float64(d)))})
				}
				reportFlops(b, 2*float64(seq)*float64(seq)*float64(d)*heads*float64(b.N), processCPU()-cpu0)
			})
		}
	}
}

// BenchmarkGeneric times the portable path on a shape small enough for it
// (what CPUs with neither AVX2 nor NEON run).
func BenchmarkGeneric(b *testing.B) {
	const m, k, n = 256, 1024, 1024
	defer SetPath(Generic)()
	r := rand.New(rand.NewPCG(1, 1))
	a := randSlice(r, m*k)
	w, _ := encodeMatrix(randSlice(r, n*k), n, k, BF16)
	dst := make([]float32, m*n)
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		MatMulT(dst, a, m, w)
	}
	reportFlops(b, 2*float64(m)*float64(k)*float64(n)*float64(b.N), processCPU()-cpu0)
}
