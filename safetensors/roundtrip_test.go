package safetensors

import (
	"bytes"
	"math"
	"path/filepath"
	"slices"
	"testing"
)

// TestRoundTripAllDTypes writes one tensor of every dtype and reads each
// back byte for byte, with its dtype and shape.
func TestRoundTripAllDTypes(t *testing.T) {
	var tensors []Tensor
	for i, dt := range []DType{F64, F32, F16, BF16, F8E4M3, F8E5M2, I64, I32, I16, I8, U64, U32, U16, U8, BOOL} {
		shape := []int{2, 3}
		data := make([]byte, 6*dt.Size())
		for j := range data {
			data[j] = byte(i*31 + j)
		}
		if dt == BOOL {
			for j := range data {
				data[j] &= 1
			}
		}
		tensors = append(tensors, Tensor{Name: "t." + string(dt), DType: dt, Shape: shape, Data: data})
	}
	tensors = append(tensors,
		Tensor{Name: "scalar", DType: F32, Shape: []int{}, Data: EncodeFloat32([]float32{math.Pi})},
		Tensor{Name: "empty", DType: F32, Shape: []int{0, 4}, Data: nil})
	path := filepath.Join(t.TempDir(), "all.safetensors")
	if err := Write(path, tensors, nil); err != nil {
		t.Fatal(err)
	}
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var want []string
	for _, tt := range tensors {
		want = append(want, tt.Name)
		got, err := c.Tensor(tt.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != tt.Name || got.DType != tt.DType || !slices.Equal(got.Shape, tt.Shape) || !bytes.Equal(got.Data, tt.Data) {
			t.Errorf("%s: got %s %v %d bytes, want %s %v %d bytes", tt.Name, got.DType, got.Shape, len(got.Data), tt.DType, tt.Shape, len(tt.Data))
		}
		dt, shape, ok := c.Info(tt.Name)
		if !ok || dt != tt.DType || !slices.Equal(shape, tt.Shape) {
			t.Errorf("Info(%s) = %s %v %v", tt.Name, dt, shape, ok)
		}
	}
	slices.Sort(want)
	if !slices.Equal(c.Names(), want) {
		t.Errorf("Names() = %v, want %v", c.Names(), want)
	}
	if len(c.Metadata()) != 0 {
		t.Errorf("Metadata() = %v, want empty", c.Metadata())
	}
	if !slices.Equal(c.Files(), []string{path}) {
		t.Errorf("Files() = %v", c.Files())
	}
}

// TestZeroSizeTensorAtEOF is the regression for the first fuzz finding: an
// empty tensor whose offsets equal the file end must read as empty, not EOF.
func TestZeroSizeTensorAtEOF(t *testing.T) {
	path := filepath.Join(t.TempDir(), "z.safetensors")
	if err := Write(path, []Tensor{{Name: "z", DType: U8, Shape: []int{0}}}, map[string]string{"a": "b"}); err != nil {
		t.Fatal(err)
	}
	c := openT(t, path)
	z, err := c.Tensor("z")
	if err != nil || len(z.Data) != 0 {
		t.Fatalf("Tensor(z) = %v, %v", z, err)
	}
	if v, err := z.Int64(); err != nil || len(v) != 0 {
		t.Errorf("Int64 of empty tensor = %v, %v", v, err)
	}
}
