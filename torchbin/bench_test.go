package torchbin

import (
	"path/filepath"
	"testing"

	"github.com/qfilters/qfilters/internal/torchsave"
	"github.com/qfilters/qfilters/safetensors"
)

// BenchmarkTensor reads a 32 MiB tensor from a pytorch_model.bin on disk
// (page cache): one ReadAt and its CRC-32 check.
func BenchmarkTensor(b *testing.B) {
	for _, shared := range []bool{false, true} {
		name := "own storage"
		if shared {
			name = "tied storage"
		}
		b.Run(name, func(b *testing.B) {
			st := newStorage(safetensors.F32, 8<<20, 1)
			ts := []torchsave.Tensor{{Name: "w", Storage: st, Shape: []int{4096, 2048}}}
			if shared {
				ts = append(ts, torchsave.Tensor{Name: "tied", Storage: st, Shape: []int{4096, 2048}})
			}
			path := filepath.Join(b.TempDir(), SingleFile)
			if err := torchsave.Write(path, ts, torchsave.Options{}); err != nil {
				b.Fatal(err)
			}
			c, err := Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.SetBytes(int64(len(st.Data)))
			for b.Loop() {
				if _, err := c.Tensor("w"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
