package model

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Sampling of WeightsIdentity: files up to identityWhole bytes are hashed
// whole; larger ones by identityBlocks blocks of identityBlock bytes spread
// evenly from the first byte to the last (about 2 MiB read per file, however
// large it is).
const (
	identityBlock  = 64 << 10
	identityBlocks = 32
	identityWhole  = identityBlock * identityBlocks
)

// WeightsIdentity returns a hex SHA-256 that identifies w's weights by
// content, wherever they are stored: the tensor index (every name, dtype and
// shape) and, for every file in Files order, its size and a hash of sampled
// blocks of its bytes (whole for small files). It reads a few MiB however
// large the checkpoint is. Two checkpoints that differ only inside unsampled
// blocks of a large file hash alike: this guards against mixing runs by
// mistake, not against forgery.
func WeightsIdentity(w Weights) (string, error) {
	h := sha256.New()
	var b [8]byte
	put := func(v uint64) {
		binary.LittleEndian.PutUint64(b[:], v)
		h.Write(b[:])
	}
	str := func(s string) {
		put(uint64(len(s)))
		io.WriteString(h, s)
	}
	names := w.Names()
	put(uint64(len(names)))
	for _, name := range names {
		dtype, shape, _ := w.Info(name)
		str(name)
		str(string(dtype))
		put(uint64(len(shape)))
		for _, d := range shape {
			put(uint64(d))
		}
	}
	files := w.Files()
	put(uint64(len(files)))
	for _, path := range files {
		if err := hashSampled(h, path, put); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashSampled writes a file's size and its sampled blocks to h.
func hashSampled(h io.Writer, path string, put func(uint64)) error {
	f, err := os.Open(path)
	if err != nil {
		return readErr(path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return readErr(path, err)
	}
	size := fi.Size()
	put(uint64(size))
	if size <= identityWhole {
		n, err := io.Copy(h, io.LimitReader(f, size))
		if err == nil && n != size {
			err = fmt.Errorf("read %d bytes of %d: the file shrank", n, size)
		}
		if err != nil {
			return readErr(path, err)
		}
		return nil
	}
	buf := make([]byte, identityBlock)
	for i := int64(0); i < identityBlocks; i++ {
		off := i * (size - identityBlock) / (identityBlocks - 1)
		if _, err := f.ReadAt(buf, off); err != nil {
			return readErr(path, fmt.Errorf("at byte %d: %w", off, err))
		}
		h.Write(buf)
	}
	return nil
}

// readErr names the weight file that could not be read for the identity,
// once (an *fs.PathError would repeat it with the operation).
func readErr(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: cannot read it to identify the weights: %w", path, err)
}
