package kernels

import "unsafe"

//go:noescape
func transpose32x16AVX512(dst *float32, ldd int, src unsafe.Pointer, lds, nblk int)

//go:noescape
func transposeBF16x16AVX512(dst *float32, ldd int, src unsafe.Pointer, lds, nblk int)

//go:noescape
func transpose32x8AVX2(dst *float32, ldd int, src unsafe.Pointer, lds, nblk int)

//go:noescape
func transposeBF16x8AVX2(dst *float32, ldd int, src unsafe.Pointer, lds, nblk int)

// blockTransposer returns the active path's transposer, or bw 0. AVX-512
// needs AVX512F (and AVX512BW to widen bf16, else bf is nil); AVX2 needs
// only AVX2, which its path has.
func blockTransposer() transposer {
	switch p := current().path; {
	case p == AVX512 && x86.packF32:
		t := transposer{bw: 16, f32: transpose32x16AVX512}
		if x86.packBF16 {
			t.bf = transposeBF16x16AVX512
		}
		return t
	case p == AVX2:
		return transposer{bw: 8, f32: transpose32x8AVX2, bf: transposeBF16x8AVX2}
	}
	return transposer{}
}
