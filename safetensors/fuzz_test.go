package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// memFile is an in-memory file for fuzzing without disk I/O.
type memFile struct{ *bytes.Reader }

func (memFile) Close() error { return nil }

// FuzzOpen feeds arbitrary bytes to the single-file reader. It must never
// panic; whatever it accepts must read back fully, convert, and survive a
// re-encode with encodeHeader unchanged.
func FuzzOpen(f *testing.F) {
	valid, err := encodeHeader([]Tensor{
		{Name: "w", DType: BF16, Shape: []int{2, 2}, Data: make([]byte, 8)},
		{Name: "ids", DType: I64, Shape: []int{1}, Data: make([]byte, 8)},
	}, map[string]string{"format": "pt"})
	if err != nil {
		f.Fatal(err)
	}
	validFile := append(binary.LittleEndian.AppendUint64(nil, uint64(len(valid))), valid...)
	validFile = append(validFile, make([]byte, 16)...)
	f.Add(validFile)
	f.Add(validFile[:len(validFile)-3])
	f.Add([]byte{1, 2, 3})
	f.Add(rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8))
	f.Add(rawFile(`{"w":{"dtype":"F16","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, 0))
	f.Add(rawFile(`{"__metadata__":{"a":"b"},"z":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`, 0))
	f.Add(rawFile(`[]`, 0))
	if b, err := os.ReadFile(fixture.Path("kvpress_qfilt", "model.safetensors")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := newShard("fuzz.safetensors", memFile{bytes.NewReader(b)}, int64(len(b)))
		if err != nil {
			return
		}
		c := newCheckpoint([]*shard{s}, nil)
		// Re-encode in data order; the reader must accept it and agree.
		order := slices.SortedFunc(maps.Values(s.entries), func(a, b entry) int {
			return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end))
		})
		var tensors []Tensor
		for _, e := range order {
			tt, err := c.Tensor(e.name)
			if err != nil {
				t.Fatalf("accepted header but cannot read %q: %v", e.name, err)
			}
			tensors = append(tensors, tt)
			switch tt.DType {
			case F32, F16, BF16, F64:
				if _, err := tt.Float32(); err != nil {
					t.Fatal(err)
				}
			case I64, I32, I16, I8, U32, U16, U8:
				if _, err := tt.Int64(); err != nil {
					t.Fatal(err)
				}
			}
		}
		hdr, err := encodeHeader(tensors, c.Metadata())
		if err != nil {
			t.Fatalf("cannot re-encode an accepted file: %v", err)
		}
		out := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
		out = append(out, hdr...)
		for _, tt := range tensors {
			out = append(out, tt.Data...)
		}
		s2, err := newShard("re.safetensors", memFile{bytes.NewReader(out)}, int64(len(out)))
		if err != nil {
			t.Fatalf("re-encoded file rejected: %v", err)
		}
		if len(s2.entries) != len(s.entries) || !maps.Equal(s2.metadata, s.metadata) && len(s.metadata) > 0 {
			t.Fatalf("re-encoded file differs: %d vs %d entries", len(s2.entries), len(s.entries))
		}
		for name, e := range s.entries {
			e2 := s2.entries[name]
			if e2.dtype != e.dtype || !slices.Equal(e2.shape, e.shape) || e2.end-e2.begin != e.end-e.begin {
				t.Fatalf("tensor %q changed on re-encode", name)
			}
		}
	})
}
