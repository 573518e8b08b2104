package corpus

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Compressed corpora (C4, The Pile and FineWeb dumps ship as .jsonl.gz or
// .jsonl.zst) are read as they are. The compression is recognised by the
// file's first bytes, so a mis-named file is read too; the name only says,
// beneath the compression suffix, which format the content is.
var compressionSuffixes = []string{".gz", ".zst", ".zstd"}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// stripCompression removes a compression suffix: "a.jsonl.gz" -> "a.jsonl".
func stripCompression(name string) string {
	ext := strings.ToLower(filepath.Ext(name))
	for _, s := range compressionSuffixes {
		if ext == s {
			return strings.TrimSuffix(name, filepath.Ext(name))
		}
	}
	return name
}

// decompress returns what r holds, decompressed when its first bytes are a
// gzip or zstd header (and as is otherwise), with the function that
// releases the decompressor.
func decompress(name string, r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(len(zstdMagic))
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		return namedErrors{zr, name, "gzip"}, func() { zr.Close() }, nil
	case bytes.HasPrefix(head, zstdMagic):
		// One decoder goroutine and a bounded window: a corpus is read once,
		// front to back, beside a forward pass that wants the cores.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<30))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: zstd: %w", name, err)
		}
		return namedErrors{zr, name, "zstd"}, zr.Close, nil
	}
	return br, func() {}, nil
}

// namedErrors says which file and which decompressor a read error (a
// truncated or corrupt stream) comes from.
type namedErrors struct {
	r          io.Reader
	name, kind string
}

func (n namedErrors) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%s (corrupt or truncated): %w", n.kind, err)
	}
	return k, err
}
