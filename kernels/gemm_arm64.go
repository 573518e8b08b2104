package kernels

// Assembly micro-kernel (gemm_arm64.s); its contract is microKernel's.

//go:noescape
func sgemmNEON(kd int, a, b, c *float32, ldc int, load bool)
