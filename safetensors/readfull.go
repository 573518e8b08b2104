package safetensors

import (
	"fmt"
	"io"
)

// readAtFull fills buf from r at off. Unlike a bare ReadAt it accepts the
// io.EOF that a reader may return together with a full buffer at the end of
// the input, and it does not fail on an empty buffer at end of file; a
// short read is an io.ErrUnexpectedEOF.
func readAtFull(r io.ReaderAt, buf []byte, off int64) error {
	if len(buf) == 0 {
		return nil
	}
	n, err := r.ReadAt(buf, off)
	switch {
	case n == len(buf):
		return nil
	case err == nil || err == io.EOF:
		return fmt.Errorf("got %d of %d bytes: %w", n, len(buf), io.ErrUnexpectedEOF)
	}
	return err
}
