//go:build !amd64

package kernels

func addMulF64(dst []float64, a float64, x []float64) { addMulF64Go(dst, a, x) }
