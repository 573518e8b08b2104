package kernels

import "unsafe"

// genericKernels is the portable path: a 4x4 register tile in plain Go. It is
// what non-amd64 builds run, and the reference the assembly paths are
// checked against.
var genericKernels = kernelSet{path: Generic, mr: 4, nr: 4, f32: kernelGeneric4x4}

// kernelGeneric4x4 keeps the 16 accumulators in locals so the compiler can
// hold them in registers; each k step loads 4 values of A and 4 of B.
func kernelGeneric4x4(kd int, a, b, c *float32, ldc int, load bool) {
	as := unsafe.Slice(a, kd*4)
	bs := unsafe.Slice(b, kd*4)
	cs := unsafe.Slice(c, 3*ldc+4)
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	if load {
		c00, c01, c02, c03 = cs[0], cs[1], cs[2], cs[3]
		c10, c11, c12, c13 = cs[ldc], cs[ldc+1], cs[ldc+2], cs[ldc+3]
		c20, c21, c22, c23 = cs[2*ldc], cs[2*ldc+1], cs[2*ldc+2], cs[2*ldc+3]
		c30, c31, c32, c33 = cs[3*ldc], cs[3*ldc+1], cs[3*ldc+2], cs[3*ldc+3]
	}
	for p := 0; p < kd; p++ {
		ap := as[p*4 : p*4+4 : p*4+4]
		bp := bs[p*4 : p*4+4 : p*4+4]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	cs[0], cs[1], cs[2], cs[3] = c00, c01, c02, c03
	cs[ldc], cs[ldc+1], cs[ldc+2], cs[ldc+3] = c10, c11, c12, c13
	cs[2*ldc], cs[2*ldc+1], cs[2*ldc+2], cs[2*ldc+3] = c20, c21, c22, c23
	cs[3*ldc], cs[3*ldc+1], cs[3*ldc+2], cs[3*ldc+3] = c30, c31, c32, c33
}
