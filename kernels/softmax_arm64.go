package kernels

//go:noescape
func softmaxStripNEON(s *float32, nk, ld int, m *float32, l *float64, o *float32, dpad int, scale float32, qi0, kj0, window int, masked bool)

// softmaxStrip is softmaxStripGo, in NEON when that is the path and the strip
// is its 12 lanes.
func softmaxStrip(s []float32, nk, ld, w int, m []float32, l []float64, o []float32, dpad int,
	scale float32, qi0, kj0, window int, masked bool) {
	if w == 12 && nk > 0 && current().path == NEON {
		_, _, _, _ = s[(nk-1)*ld+11], m[11], l[11], o[max(dpad-1, 0)*ld+11]
		softmaxStripNEON(&s[0], nk, 4*ld, &m[0], &l[0], &o[0], dpad, scale, qi0, kj0, window, masked)
		return
	}
	softmaxStripGo(s, nk, ld, w, m, l, o, dpad, scale, qi0, kj0, window, masked)
}
