package calibrate

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/qfilters/qfilters/safetensors"
)

// state is what a sink saves into checkpoints and stats files, layer by
// layer: a checkpoint writes each layer's share once.
type state interface {
	// tensors returns what layers [from, to) gathered.
	tensors(from, to int) []safetensors.Tensor
	// restore reads back what layers [0, layers) gathered.
	restore(r tensorReader, layers int) error
}

// tensorReader is where saved tensors are read from: one file, or the
// parts of a checkpoint.
type tensorReader interface {
	Tensor(name string) (safetensors.Tensor, error)
}

func f32Tensor(name string, v []float32, shape ...int) safetensors.Tensor {
	return safetensors.Tensor{Name: name, DType: safetensors.F32, Shape: shape, Data: safetensors.EncodeFloat32(v)}
}

func f64Tensor(name string, v []float64, shape ...int) safetensors.Tensor {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return safetensors.Tensor{Name: name, DType: safetensors.F64, Shape: shape, Data: b}
}

func i64Tensor(name string, v []int64) safetensors.Tensor {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return safetensors.Tensor{Name: name, DType: safetensors.I64, Shape: []int{len(v)}, Data: b}
}

// readF32 fills dst with tensor name, which must be F32 of len(dst) values.
func readF32(ck tensorReader, name string, dst []float32) error {
	t, err := ck.Tensor(name)
	if err != nil {
		return err
	}
	if t.DType != safetensors.F32 || t.NumElements() != len(dst) {
		return fmt.Errorf("tensor %s: want F32 with %d values, have %s %v", name, len(dst), t.DType, t.Shape)
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return nil
}

// readF64 returns tensor name, which must be F64 with n values.
func readF64(ck tensorReader, name string, n int) ([]float64, error) {
	t, err := ck.Tensor(name)
	if err != nil {
		return nil, err
	}
	if t.DType != safetensors.F64 || t.NumElements() != n {
		return nil, fmt.Errorf("tensor %s: want F64 with %d values, have %s %v", name, n, t.DType, t.Shape)
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return out, nil
}

// readI64 returns tensor name as int64s.
func readI64(ck tensorReader, name string) ([]int64, error) {
	t, err := ck.Tensor(name)
	if err != nil {
		return nil, err
	}
	if t.DType != safetensors.I64 || len(t.Shape) != 1 {
		return nil, fmt.Errorf("tensor %s: want a 1-D I64 tensor, have %s %v", name, t.DType, t.Shape)
	}
	return t.Int64()
}

// readRows returns tensor name as float32 rows of the given width.
func readRows(ck tensorReader, name string, width int) ([]float32, int, error) {
	t, err := ck.Tensor(name)
	if err != nil {
		return nil, 0, err
	}
	if t.DType != safetensors.F32 || len(t.Shape) != 2 || t.Shape[1] != width {
		return nil, 0, fmt.Errorf("tensor %s: want F32 [n, %d], have %s %v", name, width, t.DType, t.Shape)
	}
	v, err := t.Float32()
	return v, t.Shape[0], err
}
