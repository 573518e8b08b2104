package kernels

import "golang.org/x/sys/cpu"

// archKernels adds the NEON path: every arm64 CPU that runs an OS Go supports
// has Advanced SIMD, but ask anyway rather than assume. The GEMM tile,
// attention's softmax strip and the weight-panel transposes (bf16 widened
// while packing) are NEON; bf16 compute is the exact f32 emulation (no
// BFDOT/BFMMLA kernel yet), so NativeBF16 is false.
func archKernels(m map[Path]*kernelSet) map[Path]*kernelSet {
	return arm64Kernels(m, cpu.ARM64.HasASIMD)
}

func arm64Kernels(m map[Path]*kernelSet, asimd bool) map[Path]*kernelSet {
	if asimd {
		m[NEON] = &kernelSet{path: NEON, mr: 8, nr: 12, f32: sgemmNEON}
	}
	return m
}
