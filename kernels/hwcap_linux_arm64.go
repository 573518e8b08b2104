package kernels

import "golang.org/x/sys/unix"

// Linux (and Android) report FEAT_BF16 in the auxiliary vector, as
// HWCAP2_BF16 in AT_HWCAP2 (arch/arm64/include/uapi/asm/hwcap.h).
const (
	atHWCAP2   = 26
	hwcap2BF16 = 1 << 14
)

// hasBF16 reports whether the CPU has the BFDOT instruction (FEAT_BF16).
func hasBF16() bool {
	auxv, err := unix.Auxv()
	if err != nil {
		return false
	}
	return auxvHas(auxv, atHWCAP2, hwcap2BF16)
}

// auxvHas reports whether entry key of auxv has every bit of mask.
func auxvHas(auxv [][2]uintptr, key, mask uintptr) bool {
	for _, kv := range auxv {
		if kv[0] == key {
			return kv[1]&mask == mask
		}
	}
	return false
}
