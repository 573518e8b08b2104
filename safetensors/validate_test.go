package safetensors

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rawFile builds a safetensors file from a literal header and dataLen zero
// bytes of data, without any validation.
func rawFile(header string, dataLen int) []byte {
	b := make([]byte, 8, 8+len(header)+dataLen)
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, dataLen)...)
}

// writeFile writes b into dir/name and returns the path.
func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// wantOpenError opens path and checks that the error starts with prefix
// and contains want.
func wantOpenError(t *testing.T, path, prefix, want string) {
	t.Helper()
	c, err := Open(path)
	if err == nil {
		c.Close()
		t.Fatalf("Open(%s) succeeded, want error containing %q", path, want)
	}
	msg := err.Error()
	t.Log(msg)
	if !strings.HasPrefix(msg, prefix+": ") || !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
		t.Errorf("Open error %q\nwant prefix %q and substring %q on one line", msg, prefix, want)
	}
}

// TestHeaderValidation covers each header defect with a hand-made file.
func TestHeaderValidation(t *testing.T) {
	huge := make([]byte, 16)
	binary.LittleEndian.PutUint64(huge, 100_000_001)
	tooLong := make([]byte, 1200)
	binary.LittleEndian.PutUint64(tooLong, 9999999)
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"short", []byte{1, 2, 3}, "file is 3 bytes, too short"},
		{"empty", nil, "file is 0 bytes"},
		{"beyondfile", tooLong, "header length 9999999 exceeds file size 1200"},
		{"beyondbound", huge, "header length 100000001 exceeds limit of 100000000 bytes"},
		{"badjson", rawFile(`{"a":`, 0), "header is not valid JSON"},
		{"array", rawFile(`[1,2]   `, 0), "header is not a JSON object"},
		{"string", rawFile(`"x"`, 0), "header is not a JSON object"},
		{"trailing", rawFile(`{} {}`, 0), "header is not valid JSON"},
		{"utf8", rawFile("{\"\xff\":1}", 0), "not valid UTF-8"},
		{"entrynotobject", rawFile(`{"w":[1]}`, 0), `tensor "w": entry is not a JSON object`},
		{"nodtype", rawFile(`{"w":{"shape":[1],"data_offsets":[0,4]}}`, 4), `tensor "w": entry has no dtype`},
		{"noshape", rawFile(`{"w":{"dtype":"F32","data_offsets":[0,4]}}`, 4), `tensor "w": entry has no shape`},
		{"nooffsets", rawFile(`{"w":{"dtype":"F32","shape":[1]}}`, 4), `tensor "w": entry has no data_offsets`},
		{"unknowndtype", rawFile(`{"w":{"dtype":"Q8","shape":[1],"data_offsets":[0,1]}}`, 1), `tensor "w": unknown dtype "Q8"`},
		{"dtypenumber", rawFile(`{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}`, 4), `tensor "w": dtype is not a string`},
		{"negshape", rawFile(`{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), `tensor "w": shape is not a list of non-negative integers`},
		{"floatshape", rawFile(`{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, 4), `tensor "w": shape is not a list`},
		{"nullshape", rawFile(`{"w":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}`, 4), `tensor "w": shape is not a list`},
		{"oneoffset", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[4]}}`, 4), `tensor "w": data_offsets is not a pair`},
		{"negoffset", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, 4), `tensor "w": data_offsets is not a pair`},
		{"overflow", rawFile(`{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,0]}}`, 0), `tensor "w": shape [4294967296 4294967296 4294967296] overflows`},
		{"overflowbytes", rawFile(`{"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}}`, 0), `tensor "w": shape [4611686018427387904] overflows`},
		{"beginafterend", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}`, 8), `tensor "w": data_offsets [8, 4] begin after end`},
		{"sizemismatch", rawFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4), `tensor "w": data_offsets [0, 4] span 4 bytes, but shape [2] of F32 needs 8`},
		{"beyonddata", rawFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 6), `tensor "w": data_offsets [0, 8] beyond data section of 6 bytes (truncated file?)`},
		{"overlap", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), `tensors "a" and "b" overlap at byte 4`},
		{"hole", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, 12), `hole in data section: bytes [4, 8) before tensor "b"`},
		{"leadinghole", rawFile(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2), `bytes [0, 1) before tensor "a"`},
		{"trailingdata", rawFile(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 5), "data section is 5 bytes but tensors cover only 1"},
		{"badmetadata", rawFile(`{"__metadata__":{"n":1}}`, 0), "__metadata__ is not a map of strings"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, dir, c.name+".safetensors", c.file)
			wantOpenError(t, path, path, c.want)
		})
	}
}

// TestHeaderAccepts covers unusual but valid headers.
func TestHeaderAccepts(t *testing.T) {
	dir := t.TempDir()
	for name, file := range map[string][]byte{
		"empty":     rawFile(`{}`, 0),
		"padded":    rawFile(`{"__metadata__":{"a":"b"}}      `, 0),
		"zerosize":  rawFile(`{"z":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"w":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}`, 1),
		"unordered": rawFile(`{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 2),
		"extrakeys": rawFile(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":true}}`, 1),
	} {
		path := writeFile(t, dir, name+".safetensors", file)
		c, err := Open(path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, n := range c.Names() {
			if _, err := c.Tensor(n); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		c.Close()
	}
}

// TestTensorErrors checks missing names, truncation after Open (an error,
// not a SIGBUS) and use after Close.
func TestTensorErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.safetensors")
	if err := Write(path, []Tensor{{Name: "w", DType: F32, Shape: []int{4}, Data: make([]byte, 16)}}, nil); err != nil {
		t.Fatal(err)
	}
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tensor("nope"); err == nil || !strings.Contains(err.Error(), path+`: no tensor "nope"`) {
		t.Errorf("missing tensor: %v", err)
	}
	if _, _, ok := c.Info("nope"); ok {
		t.Error("Info of a missing tensor says ok")
	}
	fi, _ := os.Stat(path)
	if err := os.Truncate(path, fi.Size()-3); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tensor("w"); err == nil || !strings.HasPrefix(err.Error(), path+`: tensor "w": reading 16 bytes`) {
		t.Errorf("truncated after Open: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tensor("w"); err == nil {
		t.Error("Tensor after Close succeeded")
	}
	wantOpenError(t, path, path, "beyond data section of 13 bytes (truncated file?)")
}

// TestOpenPaths checks what Open does with odd paths.
func TestOpenPaths(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "absent")); err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, "absent")+": ") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("absent path: %v", err)
	}
	wantOpenError(t, dir, dir, "directory has neither model.safetensors nor model.safetensors.index.json")
	if err := os.Mkdir(filepath.Join(dir, "model.safetensors"), 0o755); err != nil {
		t.Fatal(err)
	}
	wantOpenError(t, dir, filepath.Join(dir, "model.safetensors"), "not a regular file")
}
