// Package kernels holds the hot loops of the forward pass: matrix products
// against weights kept in their stored dtype. Nothing else in the tree knows
// about SIMD.
package kernels

import (
	"encoding/binary"
	"math"
)

// DType is the element type of a weight matrix as stored on disk.
type DType uint8

const (
	F32 DType = iota
	F16
	BF16
)

// Matrix is a row-major [Rows][Cols] weight matrix in its stored dtype, laid
// out like a Hugging Face nn.Linear weight: [out_features][in_features].
// Data is little-endian and need not be aligned.
type Matrix struct {
	Rows, Cols int
	DType      DType
	Data       []byte
}

// MatMulT computes dst = a · wᵀ: dst[i][j] = Σ_k a[i][k]·w[j][k], with a
// row-major [m][w.Cols] and dst row-major [m][w.Rows]. dst is overwritten.
func MatMulT(dst, a []float32, m int, w Matrix) {
	k, n := w.Cols, w.Rows
	row := make([]float32, k)
	for j := 0; j < n; j++ {
		decodeRow(row, w, j)
		for i := 0; i < m; i++ {
			ai := a[i*k : i*k+k]
			var s float32
			for p, v := range row {
				s += ai[p] * v
			}
			dst[i*n+j] = s
		}
	}
}

// decodeRow converts row j of w to float32.
func decodeRow(dst []float32, w Matrix, j int) {
	k := w.Cols
	switch w.DType {
	case F32:
		b := w.Data[j*k*4:]
		for p := range dst {
			dst[p] = math.Float32frombits(binary.LittleEndian.Uint32(b[p*4:]))
		}
	case BF16:
		b := w.Data[j*k*2:]
		for p := range dst {
			dst[p] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[p*2:])) << 16)
		}
	case F16:
		b := w.Data[j*k*2:]
		for p := range dst {
			dst[p] = F16ToF32(binary.LittleEndian.Uint16(b[p*2:]))
		}
	}
}

// F16ToF32 converts an IEEE 754 half-precision value exactly.
func F16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal half: normalize into a float32 normal.
	e := uint32(113)
	for mant&0x400 == 0 {
		mant <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
}
