//go:build !amd64

package kernels

func siluMul(g, u []float32) { siluMulGo(g, u) }
