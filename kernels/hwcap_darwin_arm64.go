package kernels

import "golang.org/x/sys/unix"

// hasBF16 reports whether the CPU has the BFDOT instruction (FEAT_BF16):
// macOS says so in a sysctl (Apple M2 and later; the M1 lacks it).
func hasBF16() bool {
	v, err := unix.SysctlUint32("hw.optional.arm.FEAT_BF16")
	return err == nil && v == 1
}
