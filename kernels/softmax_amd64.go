package kernels

//go:noescape
func softmaxStripAVX512(s *float32, nk, ld int, m *float32, l *float64, o *float32, dpad int, scale float32, qi0, kj0, window int, masked bool)

//go:noescape
func softmaxStripAVX2(s *float32, nk, ld int, m *float32, l *float64, o *float32, dpad int, scale float32, qi0, kj0, window int, masked bool)

// softmaxStrip is softmaxStripGo, in assembly when w is 16: AVX-512 on that
// path where the CPU has what it uses, else AVX2 where it has AVX2 and FMA.
func softmaxStrip(s []float32, nk, ld, w int, m []float32, l []float64, o []float32, dpad int,
	scale float32, qi0, kj0, window int, masked bool) {
	if w == 16 && nk > 0 {
		var f func(s *float32, nk, ld int, m *float32, l *float64, o *float32, dpad int, scale float32, qi0, kj0, window int, masked bool)
		switch p := current().path; {
		case p == AVX512 && x86.softmax:
			f = softmaxStripAVX512
		case (p == AVX2 || p == AVX512) && x86.avx2Gemm: // AVX2 + FMA
			f = softmaxStripAVX2
		}
		if f != nil {
			_, _, _, _ = s[(nk-1)*ld+15], m[15], l[15], o[max(dpad-1, 0)*ld+15]
			f(&s[0], nk, 4*ld, &m[0], &l[0], &o[0], dpad, scale, qi0, kj0, window, masked)
			return
		}
	}
	softmaxStripGo(s, nk, ld, w, m, l, o, dpad, scale, qi0, kj0, window, masked)
}
