package export

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/safetensors"
)

func withStability() *Filters {
	f := sample()
	f.Stability = make([]float32, f.Layers*f.Heads)
	f.StabilityKV = make([]float32, f.Layers*f.KVHeads)
	for i := range f.Stability {
		f.Stability[i] = 1 - float32(i)/100
	}
	for i := range f.StabilityKV {
		f.StabilityKV[i] = 0.5 + float32(i)/100
	}
	return f
}

// Stability round-trips, and adding it changes none of the other tensors'
// bytes (it is appended to qfilters.safetensors; model.safetensors is
// untouched).
func TestStabilityRoundTripKeepsOtherTensors(t *testing.T) {
	base := t.TempDir()
	plain, stab := filepath.Join(base, "plain"), filepath.Join(base, "stab")
	if err := Write(plain, sample()); err != nil {
		t.Fatal(err)
	}
	if err := Write(stab, withStability()); err != nil {
		t.Fatal(err)
	}
	got, err := Read(stab)
	if err != nil {
		t.Fatal(err)
	}
	want := withStability()
	if !slices.Equal(got.Stability, want.Stability) || !slices.Equal(got.StabilityKV, want.StabilityKV) {
		t.Fatalf("stability %v / %v, want %v / %v", got.Stability, got.StabilityKV, want.Stability, want.StabilityKV)
	}
	a, _ := os.ReadFile(filepath.Join(plain, ModelFile))
	b, _ := os.ReadFile(filepath.Join(stab, ModelFile))
	if !bytes.Equal(a, b) {
		t.Error("model.safetensors changed")
	}
	pa, err := safetensors.Open(filepath.Join(plain, ExtraFile))
	if err != nil {
		t.Fatal(err)
	}
	defer pa.Close()
	pb, err := safetensors.Open(filepath.Join(stab, ExtraFile))
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Close()
	for _, name := range pa.Names() {
		ta, _ := pa.Tensor(name)
		tb, err := pb.Tensor(name)
		if err != nil || !bytes.Equal(ta.Data, tb.Data) || !slices.Equal(ta.Shape, tb.Shape) {
			t.Errorf("tensor %s differs once stability is added (%v)", name, err)
		}
	}
	card, _ := os.ReadFile(filepath.Join(stab, ReadmeFile))
	if !strings.Contains(string(card), "## Stability") || !strings.Contains(string(card), "min 0.5000 at L0 H0") {
		t.Errorf("model card lacks the stability section:\n%s", card)
	}
}

func TestStabilityValidate(t *testing.T) {
	f := withStability()
	f.Stability[1] = 1.5
	if err := f.Validate(); err == nil || !strings.Contains(err.Error(), "outside [-1, 1]") {
		t.Errorf("stability 1.5: %v", err)
	}
	f = withStability()
	f.StabilityKV = nil
	if err := f.Validate(); err == nil {
		t.Error("stability without stability_kv accepted")
	}
	f = withStability()
	f.StabilityKV = f.StabilityKV[1:]
	if err := f.Validate(); err == nil {
		t.Error("short stability_kv accepted")
	}
}

func TestStabilityScale(t *testing.T) {
	for _, c := range []struct {
		v    []float32
		want float64
	}{{[]float32{1, 0.9995}, 0.999}, {[]float32{0.995}, 0.99}, {[]float32{0.95}, 0.9}, {[]float32{0.5}, 0}, {[]float32{-0.2}, -1}} {
		if got := StabilityScale(c.v); got != c.want {
			t.Errorf("StabilityScale(%v) = %v, want %v", c.v, got, c.want)
		}
	}
}
