package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"unicode/utf8"
)

// maxHeaderSize bounds the JSON header, as the reference implementation does,
// so a corrupt length prefix cannot make us allocate gigabytes.
const maxHeaderSize = 100_000_000

// metadataKey is the reserved header key holding free-form string metadata.
const metadataKey = "__metadata__"

// entry is one validated tensor entry of a header. begin and end are
// offsets relative to the start of the data section.
type entry struct {
	name       string
	dtype      DType
	shape      []int
	begin, end int64
}

// header is a parsed and validated safetensors header.
type header struct {
	dataStart int64 // absolute file offset of the data section
	entries   map[string]entry
	metadata  map[string]string
}

// readHeader reads and validates the header of a safetensors file of the
// given size. Errors start with path.
func readHeader(r io.ReaderAt, size int64, path string) (*header, error) {
	if size < 8 {
		return nil, fmt.Errorf("%s: file is %d bytes, too short for the 8-byte header length", path, size)
	}
	var prefix [8]byte
	if err := readAtFull(r, prefix[:], 0); err != nil {
		return nil, fmt.Errorf("%s: reading header length: %w", path, err)
	}
	n := binary.LittleEndian.Uint64(prefix[:])
	if n > maxHeaderSize {
		if err := LFSPointerError(r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, fmt.Errorf("%s: header length %d exceeds limit of %d bytes", path, n, maxHeaderSize)
	}
	if n > uint64(size-8) {
		return nil, fmt.Errorf("%s: header length %d exceeds file size %d", path, n, size)
	}
	buf := make([]byte, n)
	if err := readAtFull(r, buf, 8); err != nil {
		return nil, fmt.Errorf("%s: reading %d-byte header: %w", path, n, err)
	}
	h, err := parseHeader(buf, size-8-int64(n))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	h.dataStart = 8 + int64(n)
	return h, nil
}

// parseHeader decodes the JSON header and validates it against a data
// section of dataSize bytes.
func parseHeader(buf []byte, dataSize int64) (*header, error) {
	if !utf8.Valid(buf) {
		return nil, fmt.Errorf("header is not valid UTF-8")
	}
	if t := bytes.TrimLeft(buf, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, fmt.Errorf("header is not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(buf, &raw); err != nil {
		return nil, fmt.Errorf("header is not valid JSON: %w", err)
	}
	h := &header{entries: make(map[string]entry, len(raw))}
	for name, msg := range raw {
		if name == metadataKey {
			if err := json.Unmarshal(msg, &h.metadata); err != nil {
				return nil, fmt.Errorf("%s is not a map of strings: %w", metadataKey, err)
			}
			continue
		}
		e, err := parseEntry(name, msg)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		h.entries[name] = e
	}
	if err := checkLayout(h.entries, dataSize); err != nil {
		return nil, err
	}
	return h, nil
}

// parseEntry decodes and checks one tensor entry on its own: known dtype,
// non-negative shape without overflow, ordered offsets, and a byte length
// equal to elements x dtype size.
func parseEntry(name string, msg json.RawMessage) (entry, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(msg, &fields); err != nil || fields == nil {
		return entry{}, fmt.Errorf("entry is not a JSON object")
	}
	for _, k := range []string{"dtype", "shape", "data_offsets"} {
		if _, ok := fields[k]; !ok {
			return entry{}, fmt.Errorf("entry has no %s", k)
		}
	}
	var dt string
	if err := json.Unmarshal(fields["dtype"], &dt); err != nil {
		return entry{}, fmt.Errorf("dtype is not a string")
	}
	if !DType(dt).known() {
		return entry{}, fmt.Errorf("unknown dtype %q", dt)
	}
	var shape []uint64
	if err := json.Unmarshal(fields["shape"], &shape); err != nil || shape == nil && string(fields["shape"]) == "null" {
		return entry{}, fmt.Errorf("shape is not a list of non-negative integers")
	}
	var offs []uint64
	if err := json.Unmarshal(fields["data_offsets"], &offs); err != nil || len(offs) != 2 {
		return entry{}, fmt.Errorf("data_offsets is not a pair of non-negative integers")
	}
	e := entry{name: name, dtype: DType(dt), shape: make([]int, len(shape))}
	for i, d := range shape {
		if d > math.MaxInt { // an int of this platform (32 bits on 386, arm)
			return entry{}, fmt.Errorf("shape %v overflows", shape)
		}
		e.shape[i] = int(d)
	}
	elems, ok := numElements(e.shape)
	if !ok || elems > math.MaxInt/e.dtype.Size() {
		return entry{}, fmt.Errorf("shape %v overflows", shape)
	}
	if offs[0] > offs[1] {
		return entry{}, fmt.Errorf("data_offsets [%d, %d] begin after end", offs[0], offs[1])
	}
	if offs[1] > math.MaxInt64 {
		return entry{}, fmt.Errorf("data_offsets [%d, %d] overflow", offs[0], offs[1])
	}
	e.begin, e.end = int64(offs[0]), int64(offs[1])
	if want := int64(elems) * int64(e.dtype.Size()); e.end-e.begin != want {
		return entry{}, fmt.Errorf("data_offsets [%d, %d] span %d bytes, but shape %v of %s needs %d",
			e.begin, e.end, e.end-e.begin, e.shape, e.dtype, want)
	}
	return e, nil
}
