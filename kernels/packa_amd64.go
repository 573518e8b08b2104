package kernels

//go:noescape
func packA6AVX2(dst, src *float32, lds, nblk int)

// packAFast packs what it can of a full A micro-panel (see packA) with
// vector transposes and returns how many k steps it did (a multiple of 8):
// float32 panels of 6 rows on the AVX2 path, where packing A in Go was the
// largest cost of a calibration outside the micro-kernel.
func packAFast(dst, a []float32, lda, i0, mr, w, p0, kc int, lay packLayout) (kdone int) {
	if lay != layoutF32 || mr != 6 || w != 6 || kc < 8 || current().path != AVX2 {
		return 0
	}
	kdone = kc &^ 7
	_, _ = dst[kdone*w-1], a[(i0+5)*lda+p0+kdone-1]
	packA6AVX2(&dst[0], &a[i0*lda+p0], 4*lda, kdone/8)
	return kdone
}
