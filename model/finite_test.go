package model

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/qfilters/qfilters/kernels"
)

// TestCheckFinite: for every dtype, a NaN or Inf anywhere (word-aligned or
// not, first of several) is found at its index, and large finite values,
// subnormals and negative zeros are not flagged.
func TestCheckFinite(t *testing.T) {
	type enc struct {
		d    kernels.DType
		size int
		put  func(b []byte, v float64)
	}
	encs := []enc{
		{kernels.F32, 4, func(b []byte, v float64) { binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v))) }},
		{kernels.BF16, 2, func(b []byte, v float64) {
			binary.LittleEndian.PutUint16(b, uint16(math.Float32bits(float32(v))>>16))
		}},
		{kernels.F16, 2, func(b []byte, v float64) {
			// Only the values below are needed: 65504 (max), a subnormal, -0, Inf, NaN.
			h := map[float64]uint16{65504: 0x7bff, -65504: 0xfbff, 1e-7: 0x0002, 0: 0x8000, math.Inf(1): 0x7c00}[v]
			if math.IsNaN(v) {
				h = 0x7e00
			}
			binary.LittleEndian.PutUint16(b, h)
		}},
	}
	finite := []float64{65504, -65504, 1e-7, 0}
	for _, e := range encs {
		const n = 37
		for _, bad := range []float64{math.NaN(), math.Inf(1)} {
			for at := -1; at < n; at++ {
				data := make([]byte, n*e.size)
				for i := 0; i < n; i++ {
					e.put(data[i*e.size:], finite[i%len(finite)])
				}
				if at >= 0 {
					e.put(data[at*e.size:], bad)
					if at+3 < n {
						e.put(data[(at+3)*e.size:], bad)
					}
				}
				err := checkFinite("w", kernels.Matrix{Rows: 1, Cols: n, DType: e.d, Data: data})
				if at < 0 && err != nil {
					t.Errorf("dtype %d, all finite: %v", e.d, err)
				}
				if at >= 0 && (err == nil || err.Error() != fmt.Sprintf("tensor w: NaN or Inf at [0][%d]", at)) {
					t.Errorf("dtype %d, %v at %d: %v", e.d, bad, at, err)
				}
			}
		}
	}
}

// BenchmarkCheckFinite scans 64 MiB of bf16 weights (one large projection).
func BenchmarkCheckFinite(b *testing.B) {
	w := kernels.Matrix{Rows: 4096, Cols: 8192, DType: kernels.BF16, Data: make([]byte, 2*4096*8192)}
	for i := 0; i < b.N; i++ {
		if err := checkFinite("w", w); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(w.Data)))
}
