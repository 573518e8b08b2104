package kernels

//go:noescape
func softmaxStripAVX512(s *float32, nk, ld int, m *float32, l *float64, o *float32, dpad int, scale float32, qi0, kj0, window int, masked bool)

// softmaxStrip is softmaxStripGo, in AVX-512 when that is the path and w is
// 16 (the AVX2 path's nr is 16 too, but it stays on AVX2 instructions).
func softmaxStrip(s []float32, nk, ld, w int, m []float32, l []float64, o []float32, dpad int,
	scale float32, qi0, kj0, window int, masked bool) {
	if w == 16 && nk > 0 && avx512Has(x86.softmax) {
		_, _, _, _ = s[(nk-1)*ld+15], m[15], l[15], o[max(dpad-1, 0)*ld+15]
		softmaxStripAVX512(&s[0], nk, 4*ld, &m[0], &l[0], &o[0], dpad, scale, qi0, kj0, window, masked)
		return
	}
	softmaxStripGo(s, nk, ld, w, m, l, o, dpad, scale, qi0, kj0, window, masked)
}
