package model

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/safetensors"
)

func openST(t *testing.T, path string) *safetensors.Checkpoint {
	t.Helper()
	ck, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ck.Close() })
	return ck
}

func tensorOf(t *testing.T, w Weights, name string) safetensors.Tensor {
	t.Helper()
	ten, err := w.Tensor(name)
	if err != nil {
		t.Fatal(err)
	}
	return ten
}

// packedWeights writes tensors to a safetensors file and opens it through
// the MXFP4 view.
func packedWeights(t *testing.T, ts []safetensors.Tensor) (Weights, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := safetensors.Write(path, ts, nil); err != nil {
		t.Fatal(err)
	}
	return newMXFP4View(openST(t, path))
}

// TestMXFP4MatchesTransformers: the tensors our view presents are, bit for
// bit, what transformers' convert_moe_packed_tensors makes of the same
// blocks and scales: layer 0's experts of the gpt_oss fixture, and a
// synthetic pair with every byte of codes under every scale 0..254.
func TestMXFP4MatchesTransformers(t *testing.T) {
	dir := fixture.Arch("gpt_oss")
	ref := openST(t, filepath.Join(dir, "mxfp4_reference.safetensors"))
	m, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, name := range []string{"model.layers.0.mlp.experts.gate_up_proj", "model.layers.0.mlp.experts.down_proj"} {
		got, want := tensorOf(t, m.Weights(), name), tensorOf(t, ref, name)
		if got.DType != want.DType || !equalInts(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("%s: ours %s %v differs from transformers' %s %v", name, got.DType, got.Shape, want.DType, want.Shape)
		}
	}
	blocks, scales := tensorOf(t, ref, "synthetic_blocks"), tensorOf(t, ref, "synthetic_scales")
	blocks.Name, scales.Name = "x_blocks", "x_scales"
	w, err := packedWeights(t, []safetensors.Tensor{blocks, scales})
	if err != nil {
		t.Fatal(err)
	}
	got, want := tensorOf(t, w, "x"), tensorOf(t, ref, "synthetic")
	if !bytes.Equal(got.Data, want.Data) || !equalInts(got.Shape, want.Shape) {
		diff := 0
		for i := 0; i+1 < len(want.Data) && i+1 < len(got.Data); i += 2 {
			if got.Data[i] != want.Data[i] || got.Data[i+1] != want.Data[i+1] {
				diff++
			}
		}
		t.Errorf("synthetic: %d of %d values differ from transformers' (shape %v vs %v)", diff, len(want.Data)/2, got.Shape, want.Shape)
	}
	// One expert as a linear layer's matrix is the transposed slice.
	v := m.Weights().(expertSource)
	full := tensorOf(t, m.Weights(), "model.layers.0.mlp.experts.gate_up_proj")
	E, in, out := full.Shape[0], full.Shape[1], full.Shape[2]
	pe, ok, err := v.packedTensor("model.layers.0.mlp.experts.gate_up_proj")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	for e := 0; e < E; e++ {
		mat := pe.matrix(e)
		want := transposeExpert(full.Data, e, in, out, mat.DType)
		if mat.Rows != out || mat.Cols != in || !bytes.Equal(mat.Data, want.Data) {
			t.Errorf("expert %d: the packed expert's matrix differs from the transposed tensor", e)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestMXFP4Refusals: a scale tensor of the wrong dtype or shape, a missing
// scale tensor, and a scale of 255 (E8M0's NaN) are each one line naming the
// tensor.
func TestMXFP4Refusals(t *testing.T) {
	blocks := safetensors.Tensor{Name: "x_blocks", DType: safetensors.U8, Shape: []int{1, 2, 1, 16}, Data: make([]byte, 32)}
	f32 := safetensors.Tensor{Name: "x_scales", DType: safetensors.F32, Shape: []int{1, 2, 1}, Data: make([]byte, 8)}
	short := safetensors.Tensor{Name: "x_scales", DType: safetensors.U8, Shape: []int{1, 2}, Data: []byte{127, 127}}
	nan := safetensors.Tensor{Name: "x_scales", DType: safetensors.U8, Shape: []int{1, 2, 1}, Data: []byte{127, 255}}
	for _, c := range []struct {
		ts   []safetensors.Tensor
		want string
	}{
		{[]safetensors.Tensor{blocks, f32}, "MXFP4 scales x_scales: dtype F32; expected U8 (E8M0 exponents)"},
		{[]safetensors.Tensor{blocks, short}, "MXFP4 scales x_scales: shape [1 2]; blocks x_blocks of shape [1 2 1 16] need [1 2 1]"},
		{[]safetensors.Tensor{blocks}, "MXFP4 tensor x_blocks has no x_scales beside it"},
		{[]safetensors.Tensor{blocks, nan}, "MXFP4 scales x_scales: expert 0 row 1 group 0 is 255, E8M0's NaN"},
	} {
		w, err := packedWeights(t, c.ts)
		if err == nil {
			_, err = w.Tensor("x")
		}
		if err == nil || err.Error() != c.want || strings.Contains(err.Error(), "\n") {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

// TestMXFP4Overflow: codes that overflow float32 under scales 253/254 are
// refused when a layer reads the experts; smaller codes there are fine.
func TestMXFP4Overflow(t *testing.T) {
	blocks := safetensors.Tensor{Name: "x_blocks", DType: safetensors.U8, Shape: []int{1, 2, 1, 16}, Data: make([]byte, 32)}
	blocks.Data[16+5] = 0x70 // row 1: code 7 (6.0) in the high nibble of byte 5, column 11
	blocks.Data[3] = 0x02    // row 0: code 2 (1.0)
	scales := safetensors.Tensor{Name: "x_scales", DType: safetensors.U8, Shape: []int{1, 2, 1}, Data: []byte{254, 253}}
	w, err := packedWeights(t, []safetensors.Tensor{blocks, scales})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = w.(expertSource).packedTensor("x")
	want := "MXFP4 tensor x_blocks: expert 0 row 1 column 11 overflows float32 (scale 253)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// TestMXFP4WorkingSet: with MXFP4 experts the estimate counts them packed,
// about an eighth of the float32 bound, for gpt-oss-20b's shapes.
func TestMXFP4WorkingSet(t *testing.T) {
	cfg := `{"model_type": "gpt_oss", "hidden_size": 2880, "intermediate_size": 2880, "num_hidden_layers": 24,
		"num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64, "vocab_size": 201088, "num_local_experts": 32,
		"num_experts_per_tok": 4, "max_position_embeddings": 131072%s}`
	plain, err := ParseConfig([]byte(strings.Replace(cfg, "%s", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	packed, err := ParseConfig([]byte(strings.Replace(cfg, "%s", `, "quantization_config": {"quant_method": "mxfp4"}`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	wp, _, _ := plain.WorkingSet(1, 2048)
	wq, _, _ := packed.WorkingSet(1, 2048)
	if wq > 1200<<20 || wq*5 > wp {
		t.Errorf("MXFP4 weights %d MiB, float32 bound %d MiB", wq>>20, wp>>20)
	}
}
