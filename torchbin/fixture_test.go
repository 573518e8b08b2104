package torchbin

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/internal/torchsave"
	"github.com/qfilters/qfilters/safetensors"
)

// TestFixturesAsBin converts checkpoints to pytorch_model.bin as
// transformers saves them (one file, and three shards with an index) and
// reads every tensor back byte-identical to the safetensors original. Where
// the embedding is tied, lm_head.weight is saved as a second view of its
// storage, as state_dict() holds it, and must read as the same bytes.
func TestFixturesAsBin(t *testing.T) {
	for name, dir := range map[string]string{
		"llama2 (f16)":                 fixture.Arch("llama2"),
		"qwen2 (tied, bf16)":           fixture.Arch("qwen2"),
		"stories260K (real)":           fixture.Stories260K(),
		"llama31 (safetensors shards)": fixture.Arch("llama31"),
	} {
		t.Run(name, func(t *testing.T) {
			src, err := safetensors.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var ts []safetensors.Tensor
			for _, n := range src.Names() {
				tt, err := src.Tensor(n)
				if err != nil {
					t.Fatal(err)
				}
				ts = append(ts, tt)
			}
			bin := torchsave.Contiguous(ts)
			const embed, head = "model.embed_tokens.weight", "lm_head.weight"
			tied := !src.Has(head)
			if tied != strings.Contains(name, "tied") {
				t.Fatalf("%s: tied is %v", name, tied)
			}
			if tied {
				for _, b := range bin {
					if b.Name == embed {
						bin = append(bin, torchsave.Tensor{Name: head, Storage: b.Storage, Shape: b.Shape})
					}
				}
			}
			single, sharded := t.TempDir(), t.TempDir()
			if err := torchsave.Write(filepath.Join(single, SingleFile), bin, torchsave.Options{}); err != nil {
				t.Fatal(err)
			}
			if err := torchsave.WriteSharded(sharded, bin, 3, torchsave.Options{}); err != nil {
				t.Fatal(err)
			}
			for _, d := range []string{single, sharded} {
				c, err := Open(d)
				if err != nil {
					t.Fatal(err)
				}
				for _, want := range ts {
					dt, shape, _ := c.Info(want.Name)
					got, err := c.Tensor(want.Name)
					if err != nil {
						t.Fatal(err)
					}
					if dt != want.DType || got.DType != want.DType || !bytes.Equal(got.Data, want.Data) || len(shape) != len(want.Shape) {
						t.Errorf("%s: %s differs from the safetensors original", d, want.Name)
					}
				}
				if tied {
					e, _ := c.Tensor(embed)
					h, err := c.Tensor(head)
					if err != nil || !bytes.Equal(e.Data, h.Data) {
						t.Errorf("%s: tied %s does not read as %s: %v", d, head, embed, err)
					}
				}
				if len(c.Names()) != len(bin) {
					t.Errorf("%s: %d names, want %d", d, len(c.Names()), len(bin))
				}
				c.Close()
			}
		})
	}
}
