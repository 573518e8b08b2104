package kernels

import "unsafe"

// transposer is a vector block transpose: bw×bw blocks of 32-bit words
// (f32), or of bfloat16 widened to float32 (bf).
type transposer struct {
	bw      int
	f32, bf func(dst *float32, ldd int, src unsafe.Pointer, lds, nblk int)
}

// packBFast packs what it can of a B micro-panel (see packB) with vector
// block transposes (16×16 on AVX-512, 8×8 on AVX2, 4×4 on NEON): the first
// cols columns (a multiple of the block) over the first kdone values of k (a
// multiple of the block, or of twice the block for bf16 pairs, which the
// AVX-512 and NEON bf16 kernels read). It handles float32 panels from float32
// or bf16 sources and bf16-pair panels from bf16 weights, whose 32-bit words
// already are the pairs: their subnormal halves are not flushed here, which
// VDPBF16PS and BFDOT do themselves (both treat subnormal operands as zero),
// so the sums are the same. Other pair panels (f32 or f16 weights) and all A
// panels in pairs are packed in Go (scatter), which rounds while it packs.
func packBFast(dst []float32, s *bsrc, j0, nr, w, p0, kc int, lay packLayout) (cols, kdone int) {
	tr := blockTransposer()
	bw := tr.bw
	if bw == 0 || nr < bw {
		return 0, 0
	}
	k := s.k
	var src unsafe.Pointer
	var lds, nblk int
	bf := false
	switch {
	case lay == layoutF32 && s.kind == srcMatBF16 && tr.bf != nil:
		kdone, nblk, bf = kc&^(bw-1), kc/bw, true
		lds = 2 * k
		if kdone > 0 {
			src = unsafe.Pointer(&s.data[(j0*k+p0)*2])
		}
	case lay == layoutF32 && s.kind == srcMatF32:
		kdone, nblk = kc&^(bw-1), kc/bw
		lds = 4 * k
		if kdone > 0 {
			src = unsafe.Pointer(&s.data[(j0*k+p0)*4])
		}
	case lay == layoutF32 && s.kind == srcF32T:
		kdone, nblk = kc&^(bw-1), kc/bw
		ld := s.stride()
		lds = 4 * ld
		if kdone > 0 {
			src = unsafe.Pointer(&s.f[j0*ld+p0])
		}
	case lay == layoutPair && s.kind == srcMatBF16 && p0%2 == 0:
		kdone, nblk = kc&^(2*bw-1), kc/(2*bw)
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
	cols = nr &^ (bw - 1)
	_ = dst[(panelDepth(kdone, lay)-1)*w+cols-1]
	f := tr.f32
	if bf {
		f = tr.bf
	}
	for c := 0; c < cols; c += bw {
		f(&dst[c], 4*w, unsafe.Add(src, c*lds), lds, nblk)
	}
	return cols, kdone
}

// transposeF32 sets dst[c*ldd+r] = src[r*lds+c] for r < rows, c < cols:
// blocks by vector transposes where the path has them, the edges in Go.
func transposeF32(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	r0, cb := 0, 0
	if tr := blockTransposer(); tr.bw > 0 && cols >= tr.bw && rows >= tr.bw {
		bw := tr.bw
		cb = cols &^ (bw - 1)
		for ; r0+bw <= rows; r0 += bw {
			_, _ = src[(r0+bw-1)*lds+cb-1], dst[(cb-1)*ldd+r0+bw-1]
			tr.f32(&dst[r0], 4*ldd, unsafe.Pointer(&src[r0*lds]), 4*lds, cb/bw)
		}
	}
	transposeGo(dst, ldd, src, lds, 0, r0, cb, cols)
	transposeGo(dst, ldd, src, lds, r0, rows, 0, cols)
}
