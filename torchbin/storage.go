package torchbin

import (
	"fmt"
	"io"
	"sync"
	"unsafe"
	"weak"

	"github.com/qfilters/qfilters/safetensors"
)

// storage is one storage of the archive, as named by persistent ids: numel
// elements of dtype, stored uncompressed in record rec.
type storage struct {
	key   string
	dtype safetensors.DType
	numel int64
	rec   record
	// views counts the tensors of the state dict that view this storage.
	// A storage with several (tied weights, or slices of one buffer) is
	// read whole and shared while any tensor made from it is alive.
	views int

	mu     sync.Mutex
	cached weak.Pointer[byte] // first byte of the whole storage, once read
}

func (s *storage) nbytes() int64 { return s.numel * int64(s.dtype.Size()) }

// elements returns the storage's elements [lo, hi). The bytes are shared
// with other tensors of the same storage when it has several views, as
// torch shares them; otherwise they are a fresh buffer.
func (s *storage) elements(r io.ReaderAt, lo, hi int64) ([]byte, error) {
	es := int64(s.dtype.Size())
	if s.views < 2 {
		buf := make([]byte, (hi-lo)*es)
		return buf, s.readAt(r, buf, lo*es)
	}
	whole, err := s.whole(r)
	if err != nil {
		return nil, err
	}
	return whole[lo*es : hi*es : hi*es], nil
}

// whole returns all of the storage's bytes, reading them unless a tensor
// still holds them from an earlier read.
func (s *storage) whole(r io.ReaderAt) ([]byte, error) {
	n := s.nbytes()
	if n == 0 {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.cached.Value(); p != nil {
		return unsafe.Slice(p, n), nil
	}
	buf := make([]byte, n)
	if err := s.readAt(r, buf, 0); err != nil {
		return nil, err
	}
	s.cached = weak.Make(&buf[0])
	return buf, nil
}

// readAt reads len(buf) bytes at byte off of the storage, checking the
// record's CRC-32 when buf is all of it.
func (s *storage) readAt(r io.ReaderAt, buf []byte, off int64) error {
	n, err := r.ReadAt(buf, s.rec.off+off)
	if n == len(buf) {
		if err := s.rec.verify(buf); err != nil {
			return fmt.Errorf("storage %q: %w", s.key, err)
		}
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("storage %q: reading %d bytes at offset %d: %w", s.key, len(buf), s.rec.off+off, err)
}
