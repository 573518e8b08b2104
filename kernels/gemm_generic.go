package kernels

import (
	"runtime"
	"unsafe"
)

// genericKernels is the portable path, plain Go: what CPUs with neither
// AVX2 nor NEON run, and the reference the assembly paths are checked
// against. On amd64 Go's scalar code has 15 usable SSE registers and no FMA,
// and the compiler's scheduler puts a loop body's products before the sums
// that have no other use in the body, so a step's products all wait in
// registers. Unrolled 8 steps, each step's sums feed the next and only the
// last step's 8 products pile up: a 2x4 tile then fits (8 accumulators, 4
// operands of B, 1 of A, a product). Where the compiler fuses multiply-add
// and has 32 registers (arm64, ppc64le, s390x, riscv64, loong64) a plain 4x4
// tile fits: 16 accumulators and 8 operands.
var genericKernels = func() kernelSet {
	if runtime.GOARCH == "amd64" || runtime.GOARCH == "386" {
		return kernelSet{path: Generic, mr: 2, nr: 4, f32: kernelGeneric2x4}
	}
	return kernelSet{path: Generic, mr: 4, nr: 4, f32: kernelGeneric4x4}
}()

// The kernels walk the packed panels with pointers (no bounds checks in the
// loop): a holds kd·mr values and b kd·nr, as microKernel promises. Each
// step's address is taken from the panel's start, never by stepping a
// pointer on: one stepped past the last step would point past the panel's
// allocation, which the garbage collector may find in a free span.

func kernelGeneric2x4(kd int, a, b, c *float32, ldc int, load bool) {
	cs := unsafe.Slice(c, 1*ldc+4)
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	if load {
		c00, c01, c02, c03 = cs[0*ldc+0], cs[0*ldc+1], cs[0*ldc+2], cs[0*ldc+3]
		c10, c11, c12, c13 = cs[1*ldc+0], cs[1*ldc+1], cs[1*ldc+2], cs[1*ldc+3]
	}
	a0p, b0p := unsafe.Pointer(a), unsafe.Pointer(b)
	p := 0
	for ; p+8 <= kd; p += 8 {
		pa, pb := unsafe.Add(a0p, p*8), unsafe.Add(b0p, p*16)
		{
			ap := (*[2]float32)(unsafe.Add(pa, 0))
			bp := (*[4]float32)(unsafe.Add(pb, 0))
			b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
			a0 := ap[0]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			a1 := ap[1]
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
		}
		{
			ap := (*[2]float32)(unsafe.Add(pa, 8))
			bp := (*[4]float32)(unsafe.Add(pb, 16))
			b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
			a0 := ap[0]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			a1 := ap[1]
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
		}
		{
			ap := (*[2]float32)(unsafe.Add(pa, 16))
			bp := (*[4]float32)(unsafe.Add(pb, 32))
			b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
			a0 := ap[0]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			a1 := ap[1]
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
		}
		{
			ap := (*[2]float32)(unsafe.Add(pa, 24))
			bp := (*[4]float32)(unsafe.Add(pb, 48))
			b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
			a0 := ap[0]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			a1 := ap[1]
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
		}
		{
			ap := (*[2]float32)(unsafe.Add(pa, 32))
			bp := (*[4]float32)(unsafe.Add(pb, 64))
			b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
			a0 := ap[0]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			a1 := ap[1]
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
		}
		{
			ap := (*[2]float32)(unsafe.Add(pa, 40))
			bp := (*[4]float32)(unsafe.Add(pb, 80))
			b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
			a0 := ap[0]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			a1 := ap[1]
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
		}
		{
			ap := (*[2]float32)(unsafe.Add(pa, 48))
			bp := (*[4]float32)(unsafe.Add(pb, 96))
			b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
			a0 := ap[0]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			a1 := ap[1]
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
		}
		{
			ap := (*[2]float32)(unsafe.Add(pa, 56))
			bp := (*[4]float32)(unsafe.Add(pb, 112))
			b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
			a0 := ap[0]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			a1 := ap[1]
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
		}
	}
	for ; p < kd; p++ {
		ap := (*[2]float32)(unsafe.Add(a0p, p*8))
		bp := (*[4]float32)(unsafe.Add(b0p, p*16))
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0 := ap[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := ap[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
	}
	cs[0*ldc+0], cs[0*ldc+1], cs[0*ldc+2], cs[0*ldc+3] = c00, c01, c02, c03
	cs[1*ldc+0], cs[1*ldc+1], cs[1*ldc+2], cs[1*ldc+3] = c10, c11, c12, c13
}

func kernelGeneric4x4(kd int, a, b, c *float32, ldc int, load bool) {
	cs := unsafe.Slice(c, 3*ldc+4)
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	if load {
		c00, c01, c02, c03 = cs[0*ldc+0], cs[0*ldc+1], cs[0*ldc+2], cs[0*ldc+3]
		c10, c11, c12, c13 = cs[1*ldc+0], cs[1*ldc+1], cs[1*ldc+2], cs[1*ldc+3]
		c20, c21, c22, c23 = cs[2*ldc+0], cs[2*ldc+1], cs[2*ldc+2], cs[2*ldc+3]
		c30, c31, c32, c33 = cs[3*ldc+0], cs[3*ldc+1], cs[3*ldc+2], cs[3*ldc+3]
	}
	a0p, b0p := unsafe.Pointer(a), unsafe.Pointer(b)
	for p := 0; p < kd; p++ {
		ap := (*[4]float32)(unsafe.Add(a0p, p*16))
		bp := (*[4]float32)(unsafe.Add(b0p, p*16))
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0 := ap[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := ap[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := ap[2]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := ap[3]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	cs[0*ldc+0], cs[0*ldc+1], cs[0*ldc+2], cs[0*ldc+3] = c00, c01, c02, c03
	cs[1*ldc+0], cs[1*ldc+1], cs[1*ldc+2], cs[1*ldc+3] = c10, c11, c12, c13
	cs[2*ldc+0], cs[2*ldc+1], cs[2*ldc+2], cs[2*ldc+3] = c20, c21, c22, c23
	cs[3*ldc+0], cs[3*ldc+1], cs[3*ldc+2], cs[3*ldc+3] = c30, c31, c32, c33
}
