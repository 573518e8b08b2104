package safetensors

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/qfilters/qfilters/internal/atomicfile"
)

// Write writes tensors to a safetensors file at path, atomically: the bytes
// go to a temporary file in the same directory, which is fsynced and then
// renamed over path, so readers never see a partial file.
//
// Tensors are laid out in the order given. As in the reference
// implementation, "__metadata__" comes first in the header and tensor keys
// follow in data order; metadata keys are sorted. The header is padded with
// spaces to a multiple of 8 bytes so the data section is 8-byte aligned.
// metadata may be nil.
func Write(path string, tensors []Tensor, metadata map[string]string) error {
	hdr, err := encodeHeader(tensors, metadata)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	err = atomicfile.Write(path, func(f io.Writer) error { // the header, then the data in order
		w := bufio.NewWriterSize(f, 1<<20)
		var prefix [8]byte
		binary.LittleEndian.PutUint64(prefix[:], uint64(len(hdr)))
		w.Write(prefix[:])
		w.Write(hdr)
		for _, t := range tensors {
			w.Write(t.Data)
		}
		return w.Flush()
	})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
