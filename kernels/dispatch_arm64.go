package kernels

import "golang.org/x/sys/cpu"

// archKernels adds the NEON path: every arm64 CPU that runs an OS Go supports
// has Advanced SIMD, but ask anyway rather than assume. The GEMM tile,
// attention's softmax strip and the weight-panel transposes (bf16 widened
// while packing) are NEON. With FEAT_BF16 (hasBF16, one file per OS: x/sys/cpu
// has no flag for it) bf16 products run on BFDOT and NativeBF16 is true;
// without it they are the exact f32 emulation, as on CPUs without
// AVX512_BF16.
//
// BFDOT is not VDPBF16PS: the Arm ARM's BFDotAdd (FPCR.EBF = 0, which Go
// never changes) adds a pair's two products, then that sum to the
// accumulator, each addition rounded to odd with denormal inputs and results
// flushed to zero, where VDPBF16PS (and the emulation) adds the products one
// at a time with round-to-nearest-even. Per k pair both make two roundings of
// at most one float32 ulp each, so the sums differ in the last bits; the
// tests hold the NEON results to that bound (bf16Bounds in the tests).
func archKernels(m map[Path]*kernelSet) map[Path]*kernelSet {
	return arm64Kernels(m, cpu.ARM64.HasASIMD, hasBF16())
}

func arm64Kernels(m map[Path]*kernelSet, asimd, bf16 bool) map[Path]*kernelSet {
	if asimd {
		ks := &kernelSet{path: NEON, mr: 8, nr: 12, f32: sgemmNEON}
		if bf16 {
			ks.bf16 = sbf16NEON
		}
		m[NEON] = ks
	}
	return m
}
