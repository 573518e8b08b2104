package model

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/safetensors"
)

// TestWeightsIdentity: the same weights at two paths hash alike; one changed
// byte of weights (not of the config) hashes apart.
func TestWeightsIdentity(t *testing.T) {
	id := func(dir string) string {
		t.Helper()
		m, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		s, err := WeightsIdentity(m.Weights())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	src := fixture.Stories260K()
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "elsewhere", "b")
	for _, dir := range []string{a, b} {
		os.MkdirAll(dir, 0o755)
		for _, f := range []string{"config.json", "model.safetensors"} {
			data, err := os.ReadFile(filepath.Join(src, f))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, f), data, 0o644)
		}
	}
	if id(a) != id(b) || len(id(a)) != 64 {
		t.Fatal("same weights at two paths hash apart")
	}
	// Change one weight in the middle of the data.
	p := filepath.Join(b, "model.safetensors")
	data, _ := os.ReadFile(p)
	data[len(data)/2] ^= 1
	os.WriteFile(p, data, 0o644)
	if id(a) == id(b) {
		t.Fatal("different weights hash alike")
	}
}

// TestHashSampledLargeFile: a file above the whole-hash size is sampled;
// a byte inside a sampled block and the size both count.
func TestHashSampledLargeFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "w.bin")
	data := make([]byte, identityWhole*3+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	w := fakeWeights{files: []string{p}}
	id := func(b []byte) string {
		t.Helper()
		os.WriteFile(p, b, 0o644)
		s, err := WeightsIdentity(w)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := id(data)
	last := append([]byte(nil), data...)
	last[len(last)-1]++
	if id(last) == base {
		t.Error("last byte not hashed")
	}
	mid := append([]byte(nil), data...)
	off := int64(5) * int64(len(data)-identityBlock) / (identityBlocks - 1) // block 5
	mid[off+100]++
	if id(mid) == base {
		t.Error("byte inside a sampled block not hashed")
	}
	if id(data[:len(data)-1]) == base {
		t.Error("size not hashed")
	}
	if id(data) != base {
		t.Error("identity not deterministic")
	}
}

// fakeWeights is a Weights with files and no tensors.
type fakeWeights struct{ files []string }

func (f fakeWeights) Info(string) (safetensors.DType, []int, bool) { return "", nil, false }
func (f fakeWeights) Tensor(name string) (safetensors.Tensor, error) {
	return safetensors.Tensor{}, os.ErrNotExist
}
func (f fakeWeights) Names() []string { return nil }
func (f fakeWeights) Files() []string { return f.files }
func (f fakeWeights) Close() error    { return nil }

// TestWeightsIdentityUnreadable: a weight file that cannot be read is named
// once, in one line, without the operation or a package name.
func TestWeightsIdentityUnreadable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gone.bin")
	_, err := WeightsIdentity(fakeWeights{files: []string{p}})
	if err == nil {
		t.Fatal("missing weight file hashed")
	}
	want := p + ": cannot read it to identify the weights: no such file or directory"
	if runtime.GOOS == "windows" {
		want = p + ": cannot read it to identify the weights: "
	}
	if msg := err.Error(); !strings.HasPrefix(msg, want) || strings.Count(msg, p) != 1 {
		t.Errorf("error %q, want it to start %q and name the file once", msg, want)
	}
}
