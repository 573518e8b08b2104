//go:build !amd64

package kernels

func dotsF64Asm(dst, q, k []float64) bool { return false }
