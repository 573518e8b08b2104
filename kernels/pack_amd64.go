package kernels

import "unsafe"

//go:noescape
func transpose32x16AVX512(dst *float32, ldd int, src unsafe.Pointer, lds, nblk int)

//go:noescape
func transposeBF16x16AVX512(dst *float32, ldd int, src unsafe.Pointer, lds, nblk int)

// packBFast packs what it can of a B micro-panel (see packB) with AVX-512
// 16×16 transposes: the first cols columns (a multiple of 16) over the first
// kdone values of k (a multiple of 16, or of 32 for bf16 pairs). It handles
// float32 panels from float32 or bf16 sources and bf16-pair panels from bf16
// weights, whose 32-bit words already are the pairs: their subnormal halves
// are not flushed here, which VDPBF16PS does itself (it treats subnormal
// operands as zero), so the sums are the same.
func packBFast(dst []float32, s *bsrc, j0, nr, w, p0, kc int, lay packLayout) (cols, kdone int) {
	if !avx512Has(x86.packF32) || nr < 16 {
		return 0, 0
	}
	k := s.k
	var src unsafe.Pointer
	var lds, nblk int
	bf := false
	switch {
	case lay == layoutF32 && s.kind == srcMatBF16 && x86.packBF16:
		kdone, nblk, bf = kc&^15, kc/16, true
		lds = 2 * k
		if kdone > 0 {
			src = unsafe.Pointer(&s.data[(j0*k+p0)*2])
		}
	case lay == layoutF32 && s.kind == srcMatF32:
		kdone, nblk = kc&^15, kc/16
		lds = 4 * k
		if kdone > 0 {
			src = unsafe.Pointer(&s.data[(j0*k+p0)*4])
		}
	case lay == layoutF32 && s.kind == srcF32T:
		kdone, nblk = kc&^15, kc/16
		ld := s.stride()
		lds = 4 * ld
		if kdone > 0 {
			src = unsafe.Pointer(&s.f[j0*ld+p0])
		}
	case lay == layoutPair && s.kind == srcMatBF16 && p0%2 == 0:
		kdone, nblk = kc&^31, kc/32
		lds = 2 * k
		if kdone > 0 {
			src = unsafe.Pointer(&s.data[(j0*k+p0)*2])
		}
	default:
		return 0, 0
	}
	if kdone == 0 {
		return 0, 0
	}
	cols = nr &^ 15
	_ = dst[(panelDepth(kdone, lay)-1)*w+cols-1]
	for c := 0; c < cols; c += 16 {
		if bf {
			transposeBF16x16AVX512(&dst[c], 4*w, unsafe.Add(src, c*lds), lds, nblk)
		} else {
			transpose32x16AVX512(&dst[c], 4*w, unsafe.Add(src, c*lds), lds, nblk)
		}
	}
	return cols, kdone
}

// transposeF32 sets dst[c*ldd+r] = src[r*lds+c] for r < rows, c < cols:
// 16×16 blocks by AVX-512 transposes on that path, the edges in Go.
func transposeF32(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	r0, cb := 0, 0
	if avx512Has(x86.packF32) && cols >= 16 && rows >= 16 {
		cb = cols &^ 15
		for ; r0+16 <= rows; r0 += 16 {
			_, _ = src[(r0+15)*lds+cb-1], dst[(cb-1)*ldd+r0+15]
			transpose32x16AVX512(&dst[r0], 4*ldd, unsafe.Pointer(&src[r0*lds]), 4*lds, cb/16)
		}
	}
	transposeGo(dst, ldd, src, lds, 0, r0, cb, cols)
	transposeGo(dst, ldd, src, lds, r0, rows, 0, cols)
}
