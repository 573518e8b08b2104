package kernels

//go:noescape
func expSubSumAVX512(x *float32, n int, m float32) float32

// expSubSum replaces x[j] with e^(x[j]−m) (all x[j] ≤ m) and returns their
// sum; 16 lanes at a time on the AVX-512 path.
func expSubSum(x []float32, m float32) float32 {
	if len(x) == 0 {
		return 0
	}
	if avx512Has(x86.expSum) {
		return expSubSumAVX512(&x[0], len(x), m)
	}
	return expSubSumGo(x, m)
}
