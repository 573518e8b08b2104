package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"unicode"
	"unicode/utf8"

	"github.com/qfilters/qfilters/safetensors"
)

// File is an opened GGUF file: its metadata, its tensor directory, and the
// file itself, from which tensors are read on demand.
type File struct {
	Path    string
	Version uint32
	// Alignment of the tensor data (general.alignment, 32 by default).
	Alignment uint64
	// DataOffset is where the tensor data section starts in the file.
	DataOffset int64

	kv      map[string]Value
	keys    []string // in file order
	tensors []TensorInfo
	byName  map[string]int
	r       io.ReaderAt
	size    int64
	closer  io.Closer
}

// TensorInfo describes one tensor of the file.
type TensorInfo struct {
	Name string
	// Dims in GGUF order: Dims[0] is the fastest-varying dimension, so a
	// Hugging Face [out, in] matrix has Dims [in, out].
	Dims []int
	Type Type
	// Offset is the tensor's absolute position in the file; Size its bytes.
	Offset, Size int64
}

// Elements is the product of the dimensions.
func (t TensorInfo) Elements() int {
	n := 1
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

const (
	magic            = "GGUF"
	defaultAlignment = 32
	maxDims          = 4 // GGML_MAX_DIMS
)

// Open opens and parses a GGUF file.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	g, err := parse(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	g.Path, g.closer = path, f
	return g, nil
}

// Close closes the underlying file.
func (g *File) Close() error {
	if g.closer == nil {
		return nil
	}
	return g.closer.Close()
}

// Keys lists the metadata keys in file order.
func (g *File) Keys() []string { return append([]string(nil), g.keys...) }

// Value returns a metadata value.
func (g *File) Value(key string) (Value, bool) {
	v, ok := g.kv[key]
	return v, ok
}

// Tensors lists the tensor directory in file order.
func (g *File) Tensors() []TensorInfo { return append([]TensorInfo(nil), g.tensors...) }

// Tensor returns a tensor's description.
func (g *File) Tensor(name string) (TensorInfo, bool) {
	i, ok := g.byName[name]
	if !ok {
		return TensorInfo{}, false
	}
	return g.tensors[i], true
}

// Raw reads a tensor's bytes as stored.
func (g *File) Raw(t TensorInfo) ([]byte, error) {
	buf := make([]byte, t.Size)
	if _, err := g.r.ReadAt(buf, t.Offset); err != nil {
		return nil, fmt.Errorf("%s: reading tensor %s: %w", g.Path, t.Name, err)
	}
	return buf, nil
}

// Float32 reads a tensor and dequantizes it to float32, in GGUF element
// order (Dims[0] fastest).
func (g *File) Float32(t TensorInfo) ([]float32, error) {
	if !t.Type.Supported() {
		return nil, fmt.Errorf("%s: tensor %s has type %s, which cannot be dequantized (supported: %s)", g.Path, t.Name, t.Type, supportedList())
	}
	// Read and convert a few MB of whole blocks at a time: the tensor is
	// never held both as stored and as float32.
	ti := types[t.Type]
	out := make([]float32, t.Elements())
	blocks := len(out) / ti.block
	chunk := max(1, readChunk/ti.bytes)
	buf := make([]byte, min(blocks, chunk)*ti.bytes)
	for b := 0; b < blocks; b += chunk {
		n := min(chunk, blocks-b)
		raw := buf[:n*ti.bytes]
		if _, err := g.r.ReadAt(raw, t.Offset+int64(b)*int64(ti.bytes)); err != nil {
			return nil, fmt.Errorf("%s: reading tensor %s: %w", g.Path, t.Name, err)
		}
		t.Type.dequantize(out[b*ti.block:(b+n)*ti.block], raw)
	}
	return out, nil
}

// readChunk is how many bytes of a tensor Float32 reads at a time.
var readChunk = 4 << 20

// parse reads the header, metadata and tensor directory of a file of the
// given size.
func parse(r io.ReaderAt, size int64) (*File, error) {
	d := &decoder{r: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), int(min(size+16, 1<<16))), size: size}
	head := d.bytes(4)
	if d.err != nil {
		return nil, errors.New("not a GGUF file: shorter than its 4-byte magic")
	}
	if string(head) != magic {
		if err := safetensors.LFSPointerError(r); err != nil { // a clone without git-lfs
			return nil, err
		}
		return nil, fmt.Errorf("not a GGUF file: starts with %q, not %q", head, magic)
	}
	g := &File{r: r, size: size, kv: map[string]Value{}, byName: map[string]int{}, Alignment: defaultAlignment}
	g.Version = d.u32()
	var nTensors, nKV uint64
	switch {
	case d.err != nil:
	case g.Version == 2 || g.Version == 3:
		nTensors, nKV = d.u64(), d.u64()
	case g.Version == 1:
		return nil, errors.New("GGUF version 1 is not supported (only versions 2 and 3); convert the file again with a current llama.cpp")
	case bits.ReverseBytes32(g.Version) == 2 || bits.ReverseBytes32(g.Version) == 3:
		return nil, errors.New("big-endian GGUF files are not supported")
	default:
		return nil, fmt.Errorf("GGUF version %d is not supported (only versions 2 and 3)", g.Version)
	}
	if err := d.check("header"); err != nil {
		return nil, err
	}
	// Every key-value pair takes at least 12 bytes and every tensor entry
	// 24, so larger counts cannot fit in the file.
	if nKV > uint64(size)/12 {
		return nil, fmt.Errorf("truncated or corrupt: %d metadata entries cannot fit in a file of %d bytes", nKV, size)
	}
	if nTensors > uint64(size)/24 {
		return nil, fmt.Errorf("truncated or corrupt: %d tensors cannot fit in a file of %d bytes", nTensors, size)
	}
	for i := uint64(0); i < nKV; i++ {
		key := d.str()
		if err := d.check(fmt.Sprintf("metadata entry %d", i)); err != nil {
			return nil, err
		}
		if !printable(key) { // before it is named in any other error
			if len(key) > 64 {
				key = key[:64] + "..."
			}
			return nil, fmt.Errorf("metadata key %q is not printable text", key)
		}
		v := d.value(key)
		if err := d.check("metadata " + key); err != nil {
			return nil, err
		}
		if _, dup := g.kv[key]; dup {
			return nil, fmt.Errorf("metadata key %s appears twice", key)
		}
		g.kv[key] = v
		g.keys = append(g.keys, key)
	}
	if v, ok := g.kv["general.alignment"]; ok {
		a, ok := v.Uint()
		if !ok || a == 0 || a&(a-1) != 0 || a > 1<<20 {
			return nil, fmt.Errorf("general.alignment %v is not a power of two", v)
		}
		g.Alignment = a
	}
	type pending struct {
		info TensorInfo
		rel  uint64
	}
	infos := make([]pending, 0, nTensors)
	for i := uint64(0); i < nTensors; i++ {
		name := d.str()
		nd := d.u32()
		if err := d.check(fmt.Sprintf("tensor entry %d", i)); err != nil {
			return nil, err
		}
		if !printable(name) {
			return nil, fmt.Errorf("tensor name %q is not printable text", name)
		}
		if nd == 0 || nd > maxDims {
			return nil, fmt.Errorf("tensor %s has %d dimensions (1..%d allowed)", name, nd, maxDims)
		}
		t := TensorInfo{Name: name, Dims: make([]int, nd)}
		n := uint64(1)
		for j := range t.Dims {
			dim := d.u64()
			// After a zero dimension the element count bounds nothing:
			// refuse what an int cannot hold, as llama.cpp refuses a
			// negative int64.
			if d.err == nil && dim > math.MaxInt {
				return nil, fmt.Errorf("tensor %s: dimension %d is not a valid size", name, dim)
			}
			// No type packs more than 8 elements per byte.
			if d.err == nil && dim != 0 && n > (8*uint64(size)+8)/dim {
				return nil, fmt.Errorf("tensor %s: dimensions cannot fit in a file of %d bytes", name, size)
			}
			n *= dim
			t.Dims[j] = int(dim)
		}
		typ := d.u32()
		rel := d.u64()
		if err := d.check("tensor " + name); err != nil {
			return nil, err
		}
		t.Type = Type(typ)
		info, known := t.Type.info()
		if !known {
			return nil, fmt.Errorf("tensor %s has unknown type %d", name, typ)
		}
		if t.Dims[0]%info.block != 0 {
			return nil, fmt.Errorf("tensor %s: row of %d elements is not a whole number of %s blocks of %d", name, t.Dims[0], t.Type, info.block)
		}
		t.Size = int64(n / uint64(info.block) * uint64(info.bytes))
		if _, dup := g.byName[name]; dup {
			return nil, fmt.Errorf("tensor %s appears twice", name)
		}
		g.byName[name] = len(infos)
		infos = append(infos, pending{t, rel})
	}
	pos := uint64(d.pos)
	pos += (g.Alignment - pos%g.Alignment) % g.Alignment
	if pos > uint64(size) {
		return nil, fmt.Errorf("tensor data would start at byte %d, past the end of the file (%d bytes)", pos, size)
	}
	g.DataOffset = int64(pos)
	for _, p := range infos {
		t := p.info
		if p.rel%g.Alignment != 0 {
			return nil, fmt.Errorf("tensor %s: offset %d is not a multiple of the alignment %d", t.Name, p.rel, g.Alignment)
		}
		if avail := uint64(size - g.DataOffset); p.rel > avail || uint64(t.Size) > avail-p.rel {
			return nil, fmt.Errorf("tensor %s (%d bytes at data offset %d) extends past the end of the file (%d bytes): truncated?", t.Name, t.Size, p.rel, size)
		}
		t.Offset = g.DataOffset + int64(p.rel)
		g.tensors = append(g.tensors, t)
	}
	return g, nil
}

// decoder reads little-endian values, remembering the first error and the
// position, and never reads past size.
type decoder struct {
	r    *bufio.Reader
	pos  int64
	size int64
	err  error
	buf  [8]byte
}

func (d *decoder) check(what string) error {
	if d.err == nil {
		return nil
	}
	if errors.Is(d.err, io.ErrUnexpectedEOF) || errors.Is(d.err, io.EOF) {
		return fmt.Errorf("truncated: the file ends inside the %s (at byte %d of %d)", what, d.pos, d.size)
	}
	return fmt.Errorf("%s: %w", what, d.err)
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// bytes reads n bytes into a fresh slice; n is checked against what is left.
func (d *decoder) bytes(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(d.size-d.pos) {
		d.fail(io.ErrUnexpectedEOF)
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.fail(io.ErrUnexpectedEOF)
		return nil
	}
	d.pos += int64(n)
	return b
}

func (d *decoder) fixed(n int) []byte {
	if d.err != nil {
		return d.buf[:n]
	}
	if _, err := io.ReadFull(d.r, d.buf[:n]); err != nil {
		d.fail(io.ErrUnexpectedEOF)
		return d.buf[:n]
	}
	d.pos += int64(n)
	return d.buf[:n]
}

func (d *decoder) u8() uint8   { return d.fixed(1)[0] }
func (d *decoder) u16() uint16 { return binary.LittleEndian.Uint16(d.fixed(2)) }
func (d *decoder) u32() uint32 { return binary.LittleEndian.Uint32(d.fixed(4)) }
func (d *decoder) u64() uint64 { return binary.LittleEndian.Uint64(d.fixed(8)) }

// maxString bounds one string (the longest real ones, chat templates, are a
// few hundred kB).
const maxString = 64 << 20

func (d *decoder) str() string {
	n := d.u64()
	if d.err == nil && n > maxString {
		d.fail(fmt.Errorf("string of %d bytes is implausibly long", n))
	}
	return string(d.bytes(n))
}

// printable reports whether s is UTF-8 text without control characters, so
// that names can be quoted in messages as they are.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
