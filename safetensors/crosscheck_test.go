package safetensors

import (
	"bytes"
	"os"
	"slices"
	"testing"

	ref "github.com/nlpodyssey/safetensors"
)

// crossCheck parses the whole file at path with the independent
// nlpodyssey/safetensors parser and checks that c exposes the same tensors
// (name, dtype, shape, bytes) for every name in names (all when nil).
func crossCheck(t *testing.T, c *Checkpoint, path string, names []string) {
	t.Helper()
	buf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ref.Deserialize(buf)
	if err != nil {
		t.Fatalf("%s: reference parser: %v", path, err)
	}
	if names == nil {
		names = st.Names()
	}
	for _, name := range names {
		view, ok := st.Tensor(name)
		if !ok {
			t.Fatalf("%s: reference parser has no %q", path, name)
		}
		got, err := c.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		var shape []int
		for _, d := range view.Shape() {
			shape = append(shape, int(d))
		}
		if string(got.DType) != view.DType().String() || !slices.Equal(got.Shape, shape) || !bytes.Equal(got.Data, view.Data()) {
			t.Errorf("%s: tensor %q: got %s %v, reference %s %v (or bytes differ)", path, name, got.DType, got.Shape, view.DType(), shape)
		}
	}
	_, meta, err := ref.ReadMetadata(buf)
	if err != nil {
		t.Fatal(err)
	}
	if m := meta.Metadata(); len(m) > 0 {
		cm := c.Metadata()
		for k, v := range m {
			if cm[k] != v {
				t.Errorf("%s: metadata %q = %q, reference %q", path, k, cm[k], v)
			}
		}
	}
}
