//go:build !amd64

package kernels

// packAFast: other architectures pack A panels in Go.
func packAFast(dst, a []float32, lda, i0, mr, w, p0, kc int, lay packLayout) (kdone int) {
	return 0
}
