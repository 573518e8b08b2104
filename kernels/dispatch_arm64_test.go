package kernels

import "testing"

// TestArm64Kernels: the NEON path exists exactly when the CPU has Advanced
// SIMD, with its 8x12 tile and no native bf16 kernel.
func TestArm64Kernels(t *testing.T) {
	if m := arm64Kernels(map[Path]*kernelSet{Generic: &genericKernels}, false); len(m) != 1 || m[Generic] == nil {
		t.Errorf("without ASIMD: %v", m)
	}
	m := arm64Kernels(map[Path]*kernelSet{Generic: &genericKernels}, true)
	if ks := m[NEON]; ks == nil || describe(ks) != "neon (8x12)" {
		t.Errorf("with ASIMD: %v", m)
	}
}
