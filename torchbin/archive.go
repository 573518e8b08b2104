package torchbin

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"

	"github.com/qfilters/qfilters/safetensors"
)

// Limits on the small records read whole.
const (
	maxPickleSize = 16 << 20
	maxSmallSize  = 64
)

// archive is the zip of a torch.save file: records in one folder, named
// by prefix (the folder and its slash), as PyTorchStreamReader finds them.
type archive struct {
	r       io.ReaderAt
	size    int64
	prefix  string
	records map[string]*zip.File // by name inside the folder
}

// openArchive reads the zip central directory of r (size bytes).
func openArchive(r io.ReaderAt, size int64) (*archive, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, notZip(r, size, err)
	}
	if len(zr.File) == 0 {
		return nil, fmt.Errorf("zip archive has no records")
	}
	first := zr.File[0].Name
	slash := strings.IndexByte(first, '/')
	if slash <= 0 {
		return nil, fmt.Errorf("not a torch.save archive: its first record %q is not in a folder", first)
	}
	a := &archive{r: r, size: size, prefix: first[:slash+1], records: map[string]*zip.File{}}
	for _, f := range zr.File {
		name, ok := strings.CutPrefix(f.Name, a.prefix)
		if !ok {
			continue // torch looks records up under the folder only
		}
		if _, dup := a.records[name]; dup {
			return nil, fmt.Errorf("zip archive holds record %q twice", f.Name)
		}
		a.records[name] = f
	}
	return a, nil
}

// notZip explains why r is not a readable zip archive.
func notZip(r io.ReaderAt, size int64, err error) error {
	head := make([]byte, 4)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	switch {
	case len(head) > 0 && head[0] == 0x80:
		return fmt.Errorf("legacy torch.save format (not a zip archive: written by PyTorch before 1.6 or with _use_new_zipfile_serialization=False): load it and save it again with torch.save's default format, or convert it to safetensors")
	case bytes.HasPrefix(head, []byte("PK")) && errors.Is(err, zip.ErrFormat):
		return fmt.Errorf("zip archive of %d bytes has no readable central directory (truncated?)", size)
	case bytes.HasPrefix(head, []byte("PK")):
		return fmt.Errorf("damaged zip archive: %s", strings.TrimPrefix(err.Error(), "zip: "))
	}
	if err := safetensors.LFSPointerError(r); err != nil {
		return err
	}
	return fmt.Errorf("not a zip archive (torch.save writes one since PyTorch 1.6)")
}

// record is where a record's bytes lie in the file, and their CRC-32
// (0 when the writer did not compute it, as torch's compute_crc32=False).
type record struct {
	off, n int64
	crc    uint32
}

// locate finds a record's bytes after checking that they are stored
// uncompressed inside the file: torch.save never compresses, and reading
// in place needs it.
func (a *archive) locate(name string) (record, error) {
	f, ok := a.records[name]
	if !ok {
		return record{}, fmt.Errorf("record %s%s is missing", a.prefix, name)
	}
	if f.Method != zip.Store {
		return record{}, fmt.Errorf("record %s is compressed (method %d): torch.save stores records uncompressed; re-save the file with torch.save", f.Name, f.Method)
	}
	if f.CompressedSize64 != f.UncompressedSize64 || f.UncompressedSize64 > uint64(a.size) {
		return record{}, fmt.Errorf("record %s: size %d does not fit the %d-byte file", f.Name, f.UncompressedSize64, a.size)
	}
	n := int64(f.UncompressedSize64)
	off, err := f.DataOffset()
	if err != nil {
		return record{}, fmt.Errorf("record %s: local header: %s", f.Name, strings.TrimPrefix(err.Error(), "zip: "))
	}
	if off < 0 || off > a.size-n {
		return record{}, fmt.Errorf("record %s: %d bytes at offset %d run past the end of the %d-byte file (truncated?)", f.Name, n, off, a.size)
	}
	return record{off: off, n: n, crc: f.CRC32}, nil
}

// read returns a small record whole, refusing one over limit bytes.
func (a *archive) read(name string, limit int64) ([]byte, error) {
	rec, err := a.locate(name)
	if err != nil {
		return nil, err
	}
	if rec.n > limit {
		return nil, fmt.Errorf("record %s%s is %d bytes, over the %d-byte limit", a.prefix, name, rec.n, limit)
	}
	buf := make([]byte, rec.n)
	if k, err := a.r.ReadAt(buf, rec.off); k != len(buf) {
		return nil, fmt.Errorf("record %s%s: %v", a.prefix, name, err)
	}
	if err := rec.verify(buf); err != nil {
		return nil, fmt.Errorf("record %s%s: %w", a.prefix, name, err)
	}
	return buf, nil
}

// has reports whether the folder holds a record called name.
func (a *archive) has(name string) bool {
	_, ok := a.records[name]
	return ok
}

// verify checks the CRC-32 of a whole record's bytes, when it was written.
func (r record) verify(b []byte) error {
	if r.crc == 0 || int64(len(b)) != r.n {
		return nil
	}
	if got := crc32.ChecksumIEEE(b); got != r.crc {
		return fmt.Errorf("CRC-32 %08x, the zip says %08x: the file is corrupt", got, r.crc)
	}
	return nil
}
