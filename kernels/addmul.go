package kernels

// AddMulF64 sets dst[j] += a·x[j] for j < len(dst), rounding the product and
// then the sum, as the Go statement does (no fused multiply-add), on every
// path: the rank-one updates of the calibration's float64 Gram matrices.
func AddMulF64(dst []float64, a float64, x []float64) {
	checkLen("x", len(x), len(dst))
	addMulF64(dst, a, x)
}

func addMulF64Go(dst []float64, a float64, x []float64) {
	for j := range dst {
		dst[j] += a * x[j]
	}
}
