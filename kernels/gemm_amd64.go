package kernels

import "golang.org/x/sys/cpu"

// Assembly micro-kernels (gemm_amd64.s); their contract is microKernel's.

//go:noescape
func sgemmAVX512(kd int, a, b, c *float32, ldc int, load bool)

//go:noescape
func sbf16AVX512(kd int, a, b, c *float32, ldc int, load bool)

//go:noescape
func sgemm8AVX512(kd int, a, b, c *float32, ldc int, load bool)

//go:noescape
func sgemmAVX2(kd int, a, b, c *float32, ldc int, load bool)

func archKernels(m map[Path]*kernelSet) map[Path]*kernelSet {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		m[AVX2] = &kernelSet{path: AVX2, mr: 6, nr: 16, f32: sgemmAVX2}
	}
	if cpu.X86.HasAVX512F {
		ks := &kernelSet{path: AVX512, mr: 14, nr: 32, f32: sgemmAVX512, f32x8: sgemm8AVX512}
		if cpu.X86.HasAVX512BF16 {
			ks.bf16 = sbf16AVX512
		}
		m[AVX512] = ks
	}
	return m
}
