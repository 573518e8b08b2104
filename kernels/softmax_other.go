//go:build !amd64 && !arm64

package kernels

// softmaxStrip: see softmaxStripGo.
func softmaxStrip(s []float32, nk, ld, w int, m []float32, l []float64, o []float32, dpad int,
	scale float32, qi0, kj0, window int, masked bool) {
	softmaxStripGo(s, nk, ld, w, m, l, o, dpad, scale, qi0, kj0, window, masked)
}
