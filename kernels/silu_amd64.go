package kernels

//go:noescape
func siluMulAVX2(x, y *float32, n int) int

// siluMul runs 4 lanes at a time in AVX2 on the vector paths. The exponential
// repeats math.Exp's amd64 FMA code (the one it runs on every CPU with AVX2
// and FMA) operation for operation on 4 doubles, so the bits are the same;
// a group of 4 with an input beyond ±708 (or NaN), where math.Exp takes its
// overflow, underflow or special-value branches, is left to Go.
func siluMul(g, u []float32) {
	if !x86.avx2Gemm || current().path == Generic {
		siluMulGo(g, u)
		return
	}
	u = u[:len(g)]
	for i := 0; i < len(g); {
		if len(g)-i >= 4 {
			i += siluMulAVX2(&g[i], &u[i], len(g)-i)
		}
		j := min(i+4, len(g))
		siluMulGo(g[i:j], u[i:j])
		i = j
	}
}
