package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/internal/torchsave"
)

// toBin replaces dir/model.safetensors with what transformers'
// save_pretrained(safe_serialization=False) writes: pytorch_model.bin, or
// shards and pytorch_model.bin.index.json when shards > 1.
func toBin(t *testing.T, dir string, shards int) {
	t.Helper()
	st := filepath.Join(dir, "model.safetensors")
	bin := torchsave.Contiguous(readTensors(t, st))
	var err error
	if shards > 1 {
		err = torchsave.WriteSharded(dir, bin, shards, torchsave.Options{})
	} else {
		err = torchsave.Write(filepath.Join(dir, "pytorch_model.bin"), bin, torchsave.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(st)
}

// TestCalibrateTorchBin: stories260K saved as pytorch_model.bin, one file or
// shards, calibrates to the filters of its safetensors copy bit for bit;
// beside model.safetensors, a .bin (here an unreadable one) is ignored.
func TestCalibrateTorchBin(t *testing.T) {
	calibrate := func(model string) *export.Filters {
		t.Helper()
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := runCLI(t, "calibrate", "--model", model, "--corpus", fixture.StoriesCorpus(), "--out", out,
			"--seq-len", "64", "--num-seqs", "4", "--quiet")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", model, code, stderr)
		}
		f, err := export.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	want := calibrate(copyDir(t, fixture.Stories260K()))
	single, sharded, both := copyDir(t, fixture.Stories260K()), copyDir(t, fixture.Stories260K()), copyDir(t, fixture.Stories260K())
	toBin(t, single, 1)
	toBin(t, sharded, 3)
	writeFile(t, filepath.Join(both, "pytorch_model.bin"), []byte("not a zip"))
	for name, dir := range map[string]string{"pytorch_model.bin": single, "sharded .bin": sharded, "safetensors preferred": both} {
		got := calibrate(dir)
		if !slices.Equal(got.QFilters, want.QFilters) || !slices.Equal(got.PerQueryHead, want.PerQueryHead) ||
			!slices.Equal(got.SingularValues, want.SingularValues) || !slices.Equal(got.SignAgreement, want.SignAgreement) {
			t.Errorf("%s: filters differ from the safetensors copy's", name)
		}
	}
}
