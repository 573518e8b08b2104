package kernels

//go:noescape
func addMulF64AVX2(dst *float64, a float64, x *float64, n int)

// addMulF64 runs 8 lanes at a time in AVX2 (VMULPD then VADDPD, the Go
// statement's two roundings) on the vector paths, the tail in Go.
func addMulF64(dst []float64, a float64, x []float64) {
	n := len(dst) &^ 7
	if n > 0 && x86.avx2Gemm && current().path != Generic {
		addMulF64AVX2(&dst[0], a, &x[0], n)
	} else {
		n = 0
	}
	addMulF64Go(dst[n:], a, x[n:len(dst)])
}
