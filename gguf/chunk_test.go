package gguf

import (
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// TestFloat32Chunks: reading a tensor a few blocks at a time gives what
// dequantizing it whole gives, for chunks that do and do not divide it.
func TestFloat32Chunks(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	raw := make([]byte, 37*IQ4_XS.BlockBytes())
	rng.Read(raw)
	for b := 0; b < 37; b++ {
		raw[b*136+1] &= 0x3B // finite f16 scales
	}
	path := filepath.Join(t.TempDir(), "t.gguf")
	if err := os.WriteFile(path, EncodeFile(3, 0, nil, []RawTensor{{Name: "w", Dims: []int{256, 37}, Type: IQ4_XS, Data: raw}}), 0o644); err != nil {
		t.Fatal(err)
	}
	want := make([]float32, 37*256)
	IQ4_XS.dequantize(want, raw)
	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	defer func(c int) { readChunk = c }(readChunk)
	for _, c := range []int{1, 136, 5 * 136, 36 * 136, 1 << 20} {
		readChunk = c
		got, err := g.Float32(g.Tensors()[0])
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("chunk %d bytes: element %d is %v, want %v", c, i, got[i], want[i])
			}
		}
	}
}
