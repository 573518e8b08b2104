package torchbin

import (
	"fmt"
	"math"

	"github.com/qfilters/qfilters/safetensors"
)

// tensorRef is a tensor as torch rebuilds it: a view of numel elements of
// a storage, starting at offset (in elements), with a shape and strides.
type tensorRef struct {
	st     *storage
	offset int64
	shape  []int
	stride []int
}

// check verifies that every element the view addresses lies inside its
// storage. A non-contiguous view may not have more elements than its
// storage: torch.save never writes one for weights (only expand() makes
// them), and the bound keeps a tiny file from asking for a huge gather.
func (t *tensorRef) check() error {
	n := safetensors.Tensor{Shape: t.shape}.NumElements()
	if n < 0 {
		return fmt.Errorf("tensor size %v overflows", t.shape)
	}
	if n == 0 {
		if t.offset > t.st.numel {
			return fmt.Errorf("empty tensor at offset %d, past the end of storage %q of %d elements", t.offset, t.st.key, t.st.numel)
		}
		return nil
	}
	last := t.offset
	for i, d := range t.shape {
		s := int64(t.stride[i])
		if s != 0 && int64(d-1) > (math.MaxInt64-last)/s {
			return fmt.Errorf("tensor size %v with stride %v at offset %d overflows", t.shape, t.stride, t.offset)
		}
		last += int64(d-1) * s
	}
	if last >= t.st.numel {
		return fmt.Errorf("tensor size %v with stride %v at offset %d reaches element %d of storage %q, which has %d",
			t.shape, t.stride, t.offset, last, t.st.key, t.st.numel)
	}
	if !t.contiguous() && int64(n) > t.st.numel {
		return fmt.Errorf("tensor size %v with stride %v has more elements than its storage %q (%d): overlapping views are not supported",
			t.shape, t.stride, t.st.key, t.st.numel)
	}
	return nil
}

// numel is the number of elements of the view (check has bounded it).
func (t *tensorRef) numel() int64 {
	return int64(safetensors.Tensor{Shape: t.shape}.NumElements())
}

// contiguous reports whether the view is row-major without gaps, as
// torch's is_contiguous does: dimensions of size 1 may have any stride.
func (t *tensorRef) contiguous() bool {
	want := 1
	for i := len(t.shape) - 1; i >= 0; i-- {
		if t.shape[i] == 0 {
			return true
		}
		if t.shape[i] != 1 && t.stride[i] != want {
			return false
		}
		want *= t.shape[i]
	}
	return true
}

// span is the range of storage elements [lo, hi) the view reads.
func (t *tensorRef) span() (lo, hi int64) {
	n := t.numel()
	if n == 0 {
		return t.offset, t.offset
	}
	if t.contiguous() {
		return t.offset, t.offset + n
	}
	hi = t.offset + 1
	for i, d := range t.shape {
		hi += int64(d-1) * int64(t.stride[i])
	}
	return t.offset, hi
}

// gather copies the view's elements, in row-major order, out of src, the
// storage's elements from the view's offset on, each es bytes.
func (t *tensorRef) gather(src []byte, es int) []byte {
	n := int(t.numel())
	out := make([]byte, n*es)
	if n == 0 {
		return out
	}
	rank := len(t.shape)
	idx := make([]int, rank)
	at := 0 // element index into src of idx
	for i := range n {
		copy(out[i*es:(i+1)*es], src[at*es:(at+1)*es])
		// Advance the odometer, last dimension fastest.
		for d := rank - 1; d >= 0; d-- {
			idx[d]++
			at += t.stride[d]
			if idx[d] < t.shape[d] {
				break
			}
			at -= t.stride[d] * idx[d]
			idx[d] = 0
		}
	}
	return out
}
