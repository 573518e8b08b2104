package safetensors

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteExactBytes pins the header layout the Python library expects:
// 8-byte length, __metadata__ first, tensors in data order, compact JSON,
// space padding to a multiple of 8, then the data.
func TestWriteExactBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.safetensors")
	tensors := []Tensor{
		{Name: "b<&>", DType: I64, Shape: []int{1}, Data: []byte{1, 0, 0, 0, 0, 0, 0, 0}},
		{Name: "a", DType: F32, Shape: []int{2}, Data: EncodeFloat32([]float32{1, -2})},
	}
	if err := Write(path, tensors, map[string]string{"z": "1", "format": "pt"}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hdr := `{"__metadata__":{"format":"pt","z":"1"},"b<&>":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`
	for len(hdr)%8 != 0 {
		hdr += " "
	}
	if n := binary.LittleEndian.Uint64(raw); n != uint64(len(hdr)) || string(raw[8:8+n]) != hdr {
		t.Fatalf("header = %d %q\nwant     %d %q", n, raw[8:], len(hdr), hdr)
	}
	if len(raw) != 8+len(hdr)+16 {
		t.Errorf("file is %d bytes, want %d", len(raw), 8+len(hdr)+16)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// TestWriteMetadataRoundTrip checks metadata survives Write and Open, and
// that the reference parser accepts the output.
func TestWriteMetadataRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	meta := map[string]string{"format": "pt", "note": `quotes " and \ and ünïcode`, "empty": ""}
	tensors := []Tensor{
		{Name: "w", DType: BF16, Shape: []int{3}, Data: []byte{1, 2, 3, 4, 5, 6}},
		{Name: "ids", DType: I32, Shape: []int{1, 1}, Data: []byte{9, 0, 0, 0}},
	}
	if err := Write(path, tensors, meta); err != nil {
		t.Fatal(err)
	}
	// Overwrite in place: the rename replaces the old file.
	if err := Write(path, tensors, meta); err != nil {
		t.Fatal(err)
	}
	c := openT(t, path)
	got := c.Metadata()
	if len(got) != len(meta) {
		t.Errorf("Metadata() = %v, want %v", got, meta)
	}
	for k, v := range meta {
		if got[k] != v {
			t.Errorf("metadata %q = %q, want %q", k, got[k], v)
		}
	}
	crossCheck(t, c, path, nil)
}

// TestWriteErrors checks that Write refuses what a reader would reject and
// leaves nothing behind.
func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.safetensors")
	ok := Tensor{Name: "ok", DType: U8, Shape: []int{1}, Data: []byte{1}}
	cases := []struct {
		tensors []Tensor
		meta    map[string]string
		want    string
	}{
		{[]Tensor{ok, ok}, nil, `tensor "ok" given twice`},
		{[]Tensor{{Name: "__metadata__", DType: U8, Shape: []int{}, Data: []byte{1}}}, nil, "reserved"},
		{[]Tensor{{Name: "x", DType: "F4", Shape: []int{2}, Data: []byte{1}}}, nil, `tensor "x": unknown dtype "F4"`},
		{[]Tensor{{Name: "x", DType: F32, Shape: []int{2}, Data: []byte{1}}}, nil, `tensor "x": 1 bytes of data do not match shape [2] of F32`},
		{[]Tensor{{Name: "x", DType: F32, Shape: []int{-1}, Data: nil}}, nil, `tensor "x"`},
		{[]Tensor{{Name: "\xff", DType: U8, Shape: []int{1}, Data: []byte{1}}}, nil, "not valid UTF-8"},
		{[]Tensor{ok}, map[string]string{"k": "\xff"}, "not valid UTF-8"},
	}
	for _, c := range cases {
		err := Write(path, c.tensors, c.meta)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), path+": ") {
			t.Errorf("got %v, want %q after the path", err, c.want)
		}
	}
	if err := Write(filepath.Join(dir, "no", "such", "dir.safetensors"), []Tensor{ok}, nil); err == nil {
		t.Error("Write into a missing directory succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left behind: %v", entries)
	}
}
