package gguf_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand"

	"github.com/qfilters/qfilters/gguf"
)

// Random blocks of every type, the input of the comparison with ggml's
// to_float (ggmlcheck_test.go live, ggml_recorded_test.go from its record).
// Random bytes are valid blocks of every type: quants and grid indices are
// bit fields. Only the f16 scales are fixed up to be finite (a NaN or
// infinite scale is refused on load, as non-finite weights; ggml's
// quantizers never write one); the rest, subnormal scales included, stays
// random.

// f16Scales are the byte offsets of a block's f16 scales.
var f16Scales = map[gguf.Type][]int{
	gguf.F16: {0}, gguf.Q4_0: {0}, gguf.Q4_1: {0, 2}, gguf.Q5_0: {0}, gguf.Q5_1: {0, 2},
	gguf.Q8_0: {0}, gguf.Q2_K: {80, 82}, gguf.Q3_K: {108}, gguf.Q4_K: {0, 2}, gguf.Q5_K: {0, 2},
	gguf.Q6_K: {208}, gguf.IQ2_XXS: {0}, gguf.IQ2_XS: {0}, gguf.IQ3_XXS: {0}, gguf.IQ1_S: {0},
	gguf.IQ4_NL: {0}, gguf.IQ3_S: {0}, gguf.IQ2_S: {0}, gguf.IQ4_XS: {0}, gguf.TQ1_0: {52},
	gguf.TQ2_0: {64}, gguf.Q1_0: {0}, gguf.Q2_0: {0},
}

// randomBlocks returns n random blocks of typ from the given seed.
func randomBlocks(typ gguf.Type, n int, seed int64) []byte {
	rng := rand.New(rand.NewSource(seed))
	bb := typ.BlockBytes()
	raw := make([]byte, n*bb)
	rng.Read(raw)
	if bb == 2 && typ.BlockSize() == 1 { // F16, BF16: every bit pattern
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint16(raw[2*i:], uint16(i))
		}
	}
	le := binary.LittleEndian
	for b := 0; b < n; b++ {
		blk := raw[b*bb : (b+1)*bb]
		for _, off := range f16Scales[typ] {
			if h := le.Uint16(blk[off:]); h&0x7C00 == 0x7C00 {
				le.PutUint16(blk[off:], h&^0x4000)
			}
		}
		switch typ {
		case gguf.F32:
			if h := le.Uint32(blk); h&0x7F800000 == 0x7F800000 {
				le.PutUint32(blk, h&^0x40000000)
			}
		case gguf.BF16:
			if h := le.Uint16(blk); h&0x7F80 == 0x7F80 {
				le.PutUint16(blk, h&^0x4000)
			}
		case gguf.IQ1_M:
			// d is assembled from the top nibbles of the four u16 scales:
			// its exponent's top three bits are bits 12-14 of the last.
			if sc2, sc3 := le.Uint16(blk[52:]), le.Uint16(blk[54:]); sc3&0x7000 == 0x7000 && sc2&0xC000 == 0xC000 {
				le.PutUint16(blk[54:], sc3&^0x4000)
			}
		}
	}
	return raw
}

// blocksPerType is enough random blocks for every entry of every grid to
// be used (iq1s_grid: 2048 entries, 32 lookups a block), and every f16 and
// bf16 bit pattern.
func blocksPerType(typ gguf.Type) int {
	if typ.BlockSize() == 1 {
		return 1 << 16
	}
	return 1024
}

// floatsHash is the SHA-256 of float32 values as little-endian bits.
func floatsHash(v []float32) string {
	h := sha256.New()
	b := make([]byte, 4)
	for _, x := range v {
		binary.LittleEndian.PutUint32(b, math.Float32bits(x))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ourDequant dequantizes raw blocks of typ with the package.
func ourDequant(typ gguf.Type, raw []byte) ([]float32, error) {
	out := make([]float32, len(raw)/typ.BlockBytes()*typ.BlockSize())
	return out, typ.Dequantize(out, raw)
}
