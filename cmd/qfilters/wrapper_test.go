package main

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/safetensors"
)

// TestCalibrateWrapper: stories260K wrapped as a LLaVA checkpoint (config
// under text_config, tensors under language_model., a vision tensor of
// garbage) calibrates to the plain model's filters byte for byte, and the
// provenance names the wrapper.
func TestCalibrateWrapper(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "llava-stories")
	copyFlat(t, fixture.Stories260K(), dir)
	editJSON(t, filepath.Join(dir, "config.json"), func(v map[string]any) {
		text := maps.Clone(v)
		clear(v)
		v["model_type"], v["architectures"], v["text_config"] = "llava", []string{"LlavaForConditionalGeneration"}, text
		v["vision_config"] = map[string]any{"model_type": "clip_vision_model"}
	})
	ts := readTensors(t, filepath.Join(dir, "model.safetensors"))
	for i := range ts {
		ts[i].Name = "language_model." + ts[i].Name
	}
	ts = append(ts, safetensors.Tensor{Name: "vision_tower.vision_model.post_layernorm.weight", DType: safetensors.F32, Shape: []int{2}, Data: bytes.Repeat([]byte{0xff}, 8)})
	if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	args := []string{"--corpus", fixture.StoriesCorpus(), "--seq-len", "32", "--num-seqs", "3", "--quiet"}
	plain, wrapped := filepath.Join(out, "plain"), filepath.Join(out, "wrapped")
	if code, _, stderr := runCLI(t, append([]string{"calibrate", "--model", fixture.Stories260K(), "--out", plain}, args...)...); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := runCLI(t, append([]string{"calibrate", "--model", dir, "--out", wrapped}, args...)...); code != 0 {
		t.Fatal(stderr)
	}
	a, _ := os.ReadFile(filepath.Join(plain, "model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(wrapped, "model.safetensors"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("the wrapped model's filters differ from the plain model's")
	}
	f, err := export.Read(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if f.Provenance.ModelType != "llava" || f.Provenance.Model != dir {
		t.Errorf("provenance names %s (%s), want %s (llava)", f.Provenance.Model, f.Provenance.ModelType, dir)
	}
}
