package kernels

import "testing"

// TestAuxvHas: HWCAP2_BF16 is read from the AT_HWCAP2 entry only.
func TestAuxvHas(t *testing.T) {
	auxv := [][2]uintptr{{16, 1 << 14}, {atHWCAP2, 1<<13 | 1<<15}}
	if auxvHas(auxv, atHWCAP2, hwcap2BF16) {
		t.Error("BF16 found in AT_HWCAP or a neighbouring bit")
	}
	auxv[1][1] |= hwcap2BF16
	if !auxvHas(auxv, atHWCAP2, hwcap2BF16) || auxvHas(auxv[:1], atHWCAP2, hwcap2BF16) {
		t.Error("AT_HWCAP2 BF16 bit misread")
	}
}
