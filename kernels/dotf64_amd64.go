package kernels

import "golang.org/x/sys/cpu"

//go:noescape
func dotsF64AVX2(dst, q, k *float64, n, d int)

var haveDotsF64AVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dotsF64Asm runs DotsF64 in assembly where it can: AVX2 and FMA, a path
// other than Generic, and rows a multiple of 4 long.
func dotsF64Asm(dst, q, k []float64) bool {
	d := len(q)
	if !haveDotsF64AVX2 || current().path == Generic || d == 0 || d%4 != 0 {
		return false
	}
	dotsF64AVX2(&dst[0], &q[0], &k[0], len(dst), d)
	return true
}
