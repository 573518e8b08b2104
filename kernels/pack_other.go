//go:build !amd64

package kernels

// packBFast: other architectures pack every panel in Go.
func packBFast(dst []float32, s *bsrc, j0, nr, w, p0, kc int, lay packLayout) (cols, kdone int) {
	return 0, 0
}
