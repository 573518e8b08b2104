// Package kernels holds the hot loops of the forward pass: matrix products
// against weights kept in their stored dtype. Nothing else in the tree knows
// about SIMD.
package kernels

import (
	"fmt"
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
//
// w stays in its stored dtype: panels of it are converted to float32 while
// they are packed for the micro-kernel, so no float32 copy of the whole
// weight ever exists. The work is spread over runtime.GOMAXPROCS goroutines.
func MatMulT(dst, a []float32, m int, w Matrix) {
	k, n := w.Cols, w.Rows
	checkMatrix(w)
	checkLen("a", len(a), m*k)
	checkLen("dst", len(dst), m*n)
	src := bsrc{kind: matrixKind(w.DType), data: w.Data, k: k, n: n}
	gemm(dst, a, m, &src, modeF32)
}

// MatMulTBF16 is MatMulT with bf16 inputs: every element of a and w is
// rounded to bfloat16 (round to nearest even; subnormals flush to zero, as the
// hardware does) and products are accumulated in float32. This mirrors the
// reference's bf16 autocast on GPUs. On CPUs with AVX512_BF16 it runs on
// VDPBF16PS; elsewhere an emulation computes the same sums in the same order:
// for each pair of k indices (2q, 2q+1), first += a[2q+1]·w[2q+1] then
// += a[2q]·w[2q], each addition rounded to float32 (products of two bf16
// values are exact in float32, so a plain FMA reproduces each step). The one
// exception is the float32 subnormal range: VDPBF16PS flushes a sum below
// 2⁻¹²⁶ to zero and the emulation keeps it, so there the two differ by
// under 2⁻¹²⁶ a step (TestBF16TinySums). On arm64
// CPUs with FEAT_BF16 it runs on BFDOT, which adds each pair's products
// first and rounds to odd (see dispatch_arm64.go): sums within a few float32
// ulps of those, not the same bits.
func MatMulTBF16(dst, a []float32, m int, w Matrix) {
	k, n := w.Cols, w.Rows
	checkMatrix(w)
	checkLen("a", len(a), m*k)
	checkLen("dst", len(dst), m*n)
	src := bsrc{kind: matrixKind(w.DType), data: w.Data, k: k, n: n}
	gemm(dst, a, m, &src, modeBF16)
}

// MatMul computes dst = a · b for row-major a [m][k], b [k][n], dst [m][n].
// dst is overwritten.
func MatMul(dst, a, b []float32, m, k, n int) {
	checkLen("a", len(a), m*k)
	checkLen("b", len(b), k*n)
	checkLen("dst", len(dst), m*n)
	src := bsrc{kind: srcF32N, f: b, k: k, n: n}
	gemm(dst, a, m, &src, modeF32)
}

// MatMulTF32 computes dst = a · bᵀ for row-major a [m][k], b [n][k],
// dst [m][n]. dst is overwritten.
func MatMulTF32(dst, a, b []float32, m, k, n int) {
	checkLen("a", len(a), m*k)
	checkLen("b", len(b), n*k)
	checkLen("dst", len(dst), m*n)
	src := bsrc{kind: srcF32T, f: b, k: k, n: n}
	gemm(dst, a, m, &src, modeF32)
}

func matrixKind(d DType) srcKind {
	switch d {
	case F32:
		return srcMatF32
	case F16:
		return srcMatF16
	case BF16:
		return srcMatBF16
	}
	panic(fmt.Sprintf("kernels: unknown dtype %d", d))
}

func checkMatrix(w Matrix) {
	size := 4
	if w.DType == F16 || w.DType == BF16 {
		size = 2
	}
	if w.Rows < 0 || w.Cols < 0 || len(w.Data) < w.Rows*w.Cols*size {
		panic(fmt.Sprintf("kernels: matrix %dx%d dtype %d has %d bytes", w.Rows, w.Cols, w.DType, len(w.Data)))
	}
}

func checkLen(name string, have, want int) {
	if have < want {
		panic(fmt.Sprintf("kernels: %s has %d elements, need %d", name, have, want))
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
