package torchbin

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/internal/torchsave"
	"github.com/qfilters/qfilters/safetensors"
)

// newStorage makes a storage of n elements with distinct bytes.
func newStorage(dt safetensors.DType, n int, seed byte) *torchsave.Storage {
	b := make([]byte, n*dt.Size())
	for i := range b {
		b[i] = byte(i)*7 + seed
	}
	return &torchsave.Storage{DType: dt, Data: b}
}

// goldenStateDict is the state dict of testdata/torchbin/gen_pickle.py:
// tied weights, a transpose, two views at offsets into one storage, a
// scalar, a parameter, and enough entries for memo indices past 255.
func goldenStateDict() []torchsave.Tensor {
	embed := newStorage(safetensors.F16, 12, 1)
	mlp := newStorage(safetensors.BF16, 10, 2)
	ts := []torchsave.Tensor{
		{Name: "model.embed_tokens.weight", Storage: embed, Shape: []int{4, 3}},
		{Name: "model.layers.0.self_attn.q_proj.weight", Storage: newStorage(safetensors.F32, 6, 3), Shape: []int{2, 3}},
		{Name: "model.layers.0.self_attn.k_proj.weight", Storage: newStorage(safetensors.F32, 6, 4), Shape: []int{3, 2}, Stride: []int{1, 3}},
		{Name: "model.layers.0.mlp.up_proj.weight", Storage: mlp, Offset: 4, Shape: []int{2, 3}},
		{Name: "model.layers.0.mlp.down_proj.weight", Storage: mlp, Shape: []int{4}},
		{Name: "model.layers.0.mlp.gate_proj.weight", Storage: newStorage(safetensors.F32, 300, 5), Shape: []int{20, 15}},
		{Name: "model.layers.0.self_attn.scale", Storage: newStorage(safetensors.F32, 1, 6), Shape: []int{}},
	}
	for i := 1; i <= 40; i++ {
		ts = append(ts, torchsave.Tensor{Name: fmt.Sprintf("model.layers.%d.input_layernorm.weight", i),
			Storage: newStorage(safetensors.F32, 2, byte(10+i)), Shape: []int{2}})
	}
	return append(ts,
		torchsave.Tensor{Name: "model.norm.weight", Storage: newStorage(safetensors.F32, 3, 7), Shape: []int{3}, Parameter: true},
		torchsave.Tensor{Name: "lm_head.weight", Storage: embed, Shape: []int{4, 3}},
	)
}

// TestPickleMatchesCPython: the test encoder writes, byte for byte, what
// CPython's pickle writes for the same state dict as torch.save drives it
// (testdata/torchbin/*.pkl, made by gen_pickle.py), so the files the other
// tests read are the files torch writes.
func TestPickleMatchesCPython(t *testing.T) {
	for file, ordered := range map[string]bool{"statedict.pkl": true, "shard.pkl": false} {
		want, err := os.ReadFile(fixture.Path("torchbin", file))
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := torchsave.Pickle(goldenStateDict(), ordered)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			i := 0
			for i < min(len(got), len(want)) && got[i] == want[i] {
				i++
			}
			t.Errorf("%s: encoder differs from CPython at byte %d of %d (ours %d bytes)", file, i, len(want), len(got))
		}
	}
}

// TestUnpickleCPython parses CPython's pickles into the expected views.
func TestUnpickleCPython(t *testing.T) {
	for _, file := range []string{"statedict.pkl", "shard.pkl"} {
		pkl, err := os.ReadFile(fixture.Path("torchbin", file))
		if err != nil {
			t.Fatal(err)
		}
		e := newTorchEnv()
		v, err := unpickle(pkl, e)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		sd, err := stateDict(v)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		want := goldenStateDict()
		if len(sd) != len(want) || len(e.storages) != len(want)-2 {
			t.Fatalf("%s: %d tensors over %d storages, want %d over %d", file, len(sd), len(e.storages), len(want), len(want)-2)
		}
		for _, w := range want {
			g := sd[w.Name]
			if g == nil {
				t.Fatalf("%s: %s missing", file, w.Name)
			}
			es := w.Storage.DType.Size()
			if g.st.dtype != w.Storage.DType || g.st.numel != int64(len(w.Storage.Data)/es) ||
				g.offset != int64(w.Offset) || !slices.Equal(g.shape, w.Shape) {
				t.Errorf("%s: %s rebuilt as %s[%d] +%d %v", file, w.Name, g.st.dtype, g.st.numel, g.offset, g.shape)
			}
		}
		if sd["lm_head.weight"].st != sd["model.embed_tokens.weight"].st {
			t.Errorf("%s: tied weights rebuilt over two storages", file)
		}
		if k := sd["model.layers.0.self_attn.k_proj.weight"]; !slices.Equal(k.stride, []int{1, 3}) || k.contiguous() {
			t.Errorf("%s: transpose rebuilt with stride %v", file, k.stride)
		}
	}
}
