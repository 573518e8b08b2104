package kernels

// Assembly micro-kernels (gemm_amd64.s); their contract is microKernel's.

//go:noescape
func sgemmAVX512(kd int, a, b, c *float32, ldc int, load bool)

//go:noescape
func sbf16AVX512(kd int, a, b, c *float32, ldc int, load bool)

//go:noescape
func sgemm8AVX512(kd int, a, b, c *float32, ldc int, load bool)

//go:noescape
func sgemmAVX2(kd int, a, b, c *float32, ldc int, load bool)
