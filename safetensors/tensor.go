package safetensors

import (
	"fmt"
	"math"
)

// Tensor is one tensor's header entry and its bytes (little-endian, as stored).
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// NumElements returns the product of the shape (1 for a scalar), or -1 if a
// dimension is negative or the product overflows an int.
func (t Tensor) NumElements() int {
	n, ok := numElements(t.Shape)
	if !ok {
		return -1
	}
	return n
}

// numElements multiplies the dimensions of shape, reporting false on a
// negative dimension or on overflow.
func numElements(shape []int) (int, bool) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		if d != 0 && n > math.MaxInt/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// checkData verifies that t has one of the wanted dtypes and exactly
// NumElements x dtype size bytes, so conversions never index out of range.
func (t Tensor) checkData(want string, dtypes ...DType) (int, error) {
	ok := false
	for _, d := range dtypes {
		ok = ok || t.DType == d
	}
	if !ok {
		return 0, fmt.Errorf("tensor %q: dtype %s cannot be converted to %s", t.Name, t.DType, want)
	}
	n := t.NumElements()
	if n < 0 {
		return 0, fmt.Errorf("tensor %q: invalid shape %v", t.Name, t.Shape)
	}
	if n > len(t.Data)/t.DType.Size() || n*t.DType.Size() != len(t.Data) {
		return 0, fmt.Errorf("tensor %q: %d bytes of data, want %d elements of %s", t.Name, len(t.Data), n, t.DType)
	}
	return n, nil
}
