package kernels

import "unsafe"

//go:noescape
func transpose32x4NEON(dst *float32, ldd int, src unsafe.Pointer, lds, nblk int)

//go:noescape
func transposeBF16x4NEON(dst *float32, ldd int, src unsafe.Pointer, lds, nblk int)

// blockTransposer returns the NEON path's 4×4 transposer, or bw 0.
func blockTransposer() transposer {
	if current().path == NEON {
		return transposer{bw: 4, f32: transpose32x4NEON, bf: transposeBF16x4NEON}
	}
	return transposer{}
}
