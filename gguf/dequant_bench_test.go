package gguf_test

import (
	"testing"

	"github.com/qfilters/qfilters/gguf"
)

// BenchmarkDequantizeAll: bytes of float32 output per second for every
// supported type, on random blocks (1M elements).
func BenchmarkDequantizeAll(b *testing.B) {
	for _, typ := range gguf.SupportedTypes() {
		n := (1 << 20) / typ.BlockSize()
		raw := randomBlocks(typ, n, 1)
		out := make([]float32, n*typ.BlockSize())
		b.Run(typ.String(), func(b *testing.B) {
			b.SetBytes(int64(4 * len(out)))
			for i := 0; i < b.N; i++ {
				if err := typ.Dequantize(out, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
