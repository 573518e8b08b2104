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

// isZstd reports whether head starts a zstd stream: a frame, or a skippable
// frame (magic 0x184D2A50 to 0x184D2A5F, little-endian), with which pzstd's
// output and the seekable format begin.
func isZstd(head []byte) bool {
	if bytes.HasPrefix(head, zstdMagic) {
		return true
	}
	return len(head) >= 4 && head[0]&0xf0 == 0x50 && head[1] == 0x2a && head[2] == 0x4d && head[3] == 0x18
}

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

// Decompress returns what r holds, decompressed when its first bytes are a
// gzip or zstd header (read as a corpus file is: every member and frame),
// as is otherwise, and an error naming name for the formats a corpus cannot
// be in; close releases the decompressor.
func Decompress(name string, r io.Reader) (_ io.Reader, close func(), err error) {
	return decompress(name, r)
}

// decompress returns what r holds, decompressed when its first bytes are a
// gzip or zstd header (and as is otherwise), with the function that
// releases the decompressor.
func decompress(name string, r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(10)
	if kind := otherCompression(head); kind != "" {
		return nil, nil, fmt.Errorf("%s: %s-compressed, which a corpus file cannot be (decompress it, or recompress it with gzip or zstd)", name, kind)
	}
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		zr.Multistream(false)
		return namedErrors{&gzipMembers{br: br, zr: zr}, name, "gzip"}, func() { zr.Close() }, nil
	case isZstd(head):
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

// otherCompression names the compression or archive format head starts
// with, among those the reader does not decompress ("" for none): read as
// they are, they would be documents of binary bytes.
func otherCompression(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("\xfd7zXZ\x00")):
		return "xz"
	case len(head) >= 10 && bytes.HasPrefix(head, []byte("BZh")) && head[3] >= '1' && head[3] <= '9' &&
		(bytes.Equal(head[4:10], []byte("1AY&SY")) || bytes.Equal(head[4:10], []byte("\x17rE8P\x90"))):
		return "bzip2"
	case bytes.HasPrefix(head, []byte{0x04, 0x22, 0x4d, 0x18}):
		return "lz4"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "zip"
	case bytes.HasPrefix(head, []byte("7z\xbc\xaf\x27\x1c")):
		return "7z"
	case bytes.HasPrefix(head, []byte{0x1f, 0x9d}):
		return "Unix compress (.Z)"
	case bytes.HasPrefix(head, []byte("LZIP\x01")):
		return "lzip"
	}
	return ""
}

// wideUnicode names the encoding a UTF-16 or UTF-32 byte order mark at the
// start of head announces ("" for none).
func wideUnicode(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xfe, 0, 0}):
		return "UTF-32LE"
	case bytes.HasPrefix(head, []byte{0, 0, 0xfe, 0xff}):
		return "UTF-32BE"
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}):
		return "UTF-16LE"
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		return "UTF-16BE"
	}
	return ""
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

// gzipMembers reads every member of a gzip file (concatenated files, as
// `cat a.gz b.gz` makes), skipping zero bytes after a member as gzip(1) and
// Python's gzip module do (tape or block padding). Anything else after a
// member must be another member: a bad header or a cut one is an error.
type gzipMembers struct {
	br  *bufio.Reader // the compressed bytes; a byte reader, so no member is over-read
	zr  *gzip.Reader  // the current member, Multistream(false)
	end bool
}

func (g *gzipMembers) Read(p []byte) (int, error) {
	for !g.end {
		n, err := g.zr.Read(p)
		if err != io.EOF {
			return n, err
		}
		// The member ended, its trailer checked.
		if err := skipZeros(g.br); err == io.EOF {
			g.end = true
		} else if err != nil {
			return n, err
		} else {
			if err := g.zr.Reset(g.br); err != nil {
				if err == io.EOF { // cannot happen: a byte is there
					err = io.ErrUnexpectedEOF
				}
				return n, err
			}
			g.zr.Multistream(false)
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, io.EOF
}

// skipZeros consumes zero bytes; it returns io.EOF when nothing else follows.
func skipZeros(br *bufio.Reader) error {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return err
		}
		if c != 0 {
			return br.UnreadByte()
		}
	}
}
