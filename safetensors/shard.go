package safetensors

import (
	"fmt"
	"io"
	"os"
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

// openShard opens the file at open (path itself, or what resolveShard
// resolved it to) and validates its header against the file size; errors
// name path. The file stays open until Close. Anything but a regular file is
// refused before it is opened: opening a FIFO would block.
func openShard(path, open string) (*shard, error) {
	if fi, err := os.Stat(open); err != nil {
		return nil, errAt(path, err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, fileKind(fi.Mode()))
	}
	f, err := os.Open(open)
	if err != nil {
		return nil, errAt(path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, fileKind(fi.Mode()))
	}
	s, err := newShard(path, f, fi.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// newShard parses the header of r, which holds size bytes.
func newShard(path string, r readerAtCloser, size int64) (*shard, error) {
	h, err := readHeader(r, size, path)
	if err != nil {
		return nil, err
	}
	return &shard{path: path, r: r, header: h}, nil
}

// read reads the bytes of entry e into a fresh buffer.
func (s *shard) read(e entry) (Tensor, error) {
	data := make([]byte, e.end-e.begin)
	if err := readAtFull(s.r, data, s.dataStart+e.begin); err != nil {
		return Tensor{}, fmt.Errorf("%s: tensor %q: reading %d bytes at offset %d: %w",
			s.path, e.name, len(data), s.dataStart+e.begin, err)
	}
	return Tensor{Name: e.name, DType: e.dtype, Shape: append([]int{}, e.shape...), Data: data}, nil
}
