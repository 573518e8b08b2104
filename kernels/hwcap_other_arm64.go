//go:build !linux && !darwin

package kernels

// hasBF16: without a way to ask this OS whether the CPU has FEAT_BF16 (and
// whether it lets user code run it), bf16 products use the emulation.
func hasBF16() bool { return false }
