package safetensors

import (
	"fmt"
	"io"
)

// readerAtCloser is what a shard reads tensors from: an *os.File in
// practice, an in-memory reader in the fuzz test.
type readerAtCloser interface {
	io.ReaderAt
	io.Closer
}

// shard is one open safetensors file and its validated header.
type shard struct {
	path string
	r    readerAtCloser
	*header
}

// newShard parses the header of r, which holds size bytes.
func newShard(path string, r readerAtCloser, size int64) (*shard, error) {
	h, err := readHeader(r, size, path)
	if err != nil {
		return nil, err
	}
	return &shard{path: path, r: r, header: h}, nil
}

// Has reports whether the shard's header has tensor name.
func (s *shard) Has(name string) bool {
	_, ok := s.entries[name]
	return ok
}

// Close closes the file.
func (s *shard) Close() error { return s.r.Close() }

// read reads the bytes of entry e into a fresh buffer.
func (s *shard) read(e entry) (Tensor, error) {
	data := make([]byte, e.end-e.begin)
	if err := readAtFull(s.r, data, s.dataStart+e.begin); err != nil {
		return Tensor{}, fmt.Errorf("%s: tensor %q: reading %d bytes at offset %d: %w",
			s.path, e.name, len(data), s.dataStart+e.begin, err)
	}
	return Tensor{Name: e.name, DType: e.dtype, Shape: append([]int{}, e.shape...), Data: data}, nil
}
