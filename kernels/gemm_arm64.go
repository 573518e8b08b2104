package kernels

// Assembly micro-kernels (gemm_arm64.s, gemm_bf16_arm64.s); their contract is
// microKernel's. sbf16NEON needs FEAT_BF16 and reads pair-layout panels.

//go:noescape
func sgemmNEON(kd int, a, b, c *float32, ldc int, load bool)

//go:noescape
func sbf16NEON(kd int, a, b, c *float32, ldc int, load bool)
