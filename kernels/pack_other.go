//go:build !amd64

package kernels

// packBFast: other architectures pack every panel in Go.
func packBFast(dst []float32, s *bsrc, j0, nr, w, p0, kc int, lay packLayout) (cols, kdone int) {
	return 0, 0
}

// transposeF32 sets dst[c*ldd+r] = src[r*lds+c] for r < rows, c < cols.
func transposeF32(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	transposeGo(dst, ldd, src, lds, 0, rows, 0, cols)
}
