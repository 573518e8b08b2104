package kernels

import "math"

// roundBF16 rounds a float32 to bfloat16 with round-to-nearest-even, the
// conversion PyTorch's autocast and VCVTNEPS2BF16 perform. Subnormal inputs
// become signed zeros: VDPBF16PS treats subnormal bf16 operands as zero, and
// flushing here keeps every path (hardware and emulation) on the same inputs.
// NaNs stay NaN (quieted) instead of rounding into infinity.
func roundBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7f800000 == 0 {
		return uint16(b>>16) & 0x8000
	}
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// bf16Float widens a bfloat16 to float32 (exact).
func bf16Float(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// roundToBF16 is f rounded through bfloat16 and widened back, as a float32.
func roundToBF16(f float32) float32 { return bf16Float(roundBF16(f)) }
