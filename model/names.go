package model

import (
	"fmt"
	"slices"
	"strings"

	"github.com/qfilters/qfilters/safetensors"
)

// renamed presents a source's tensors under the names a family reads.
// It is how a multimodal wrapper's language model (language_model.model.*,
// model.language_model.*) and tied embeddings stored under either name
// (lm_head.weight alone, or the embedding alone) load without special cases
// in the forward pass.
type renamed struct {
	Weights
	src   map[string]string // our name -> the source's name
	names []string
}

// nameView wraps w for a model of family f with config c, or returns w when
// every name is already where f reads it.
func nameView(w Weights, f *family, c *Config) (Weights, error) {
	src := map[string]string{}
	wrapped := c.Wrapper != "" || textUnderWrapperNames(w, f)
	if wrapped {
		keep := languagePrefixes(f)
		for _, n := range w.Names() {
			ours := unwrapName(n)
			if !hasAnyPrefix(ours, keep) {
				continue // vision tower, projector: never read
			}
			if prev, dup := src[ours]; dup {
				return nil, fmt.Errorf("the checkpoint holds the language model's tensor %s twice, as %s and %s", ours, prev, n)
			}
			src[ours] = n
		}
	}
	has := func(n string) bool {
		if wrapped {
			_, ok := src[n]
			return ok
		}
		return hasTensor(w, n)
	}
	// Tied embeddings: the forward pass reads the embedding for both ends;
	// a checkpoint may hold the shared matrix as lm_head.weight only.
	embed, head := f.embed+".weight", f.lmHead+".weight"
	tiedAlias := c.TieEmbeddings && f.lmHead != "" && !has(embed) && has(head)
	if !wrapped && !tiedAlias {
		return w, nil
	}
	if !wrapped {
		for _, n := range w.Names() {
			src[n] = n
		}
	}
	if tiedAlias {
		src[embed] = src[head]
		delete(src, head)
	}
	v := &renamed{Weights: w, src: src}
	for n := range src {
		v.names = append(v.names, n)
	}
	slices.Sort(v.names)
	return v, nil
}

// unwrapName strips a wrapper's prefix from a tensor name:
// language_model.model.X and model.language_model.X become model.X,
// language_model.lm_head.X becomes lm_head.X; other names are unchanged
// (Qwen-VL's original layout has model.layers.N beside visual.*).
func unwrapName(n string) string {
	if rest, ok := strings.CutPrefix(n, "language_model."); ok {
		return rest
	}
	if rest, ok := strings.CutPrefix(n, "model.language_model."); ok {
		return "model." + rest
	}
	return n
}

// languagePrefixes are the name prefixes of every tensor family f reads.
func languagePrefixes(f *family) []string {
	p := []string{f.embed + ".", f.finalNorm + ".", strings.SplitN(f.layer, "%d", 2)[0]}
	if f.lmHead != "" {
		p = append(p, f.lmHead+".")
	}
	if f.gemma4 { // the per-layer embedding tables
		p = append(p, "model.embed_tokens_per_layer.", "model.per_layer_model_projection.", "model.per_layer_projection_norm.")
	}
	return p
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func (v *renamed) Info(name string) (safetensors.DType, []int, bool) {
	s, ok := v.src[name]
	if !ok {
		return "", nil, false
	}
	return v.Weights.Info(s)
}

func (v *renamed) Tensor(name string) (safetensors.Tensor, error) {
	s, ok := v.src[name]
	if !ok {
		return safetensors.Tensor{}, fmt.Errorf("tensor %s not found", name)
	}
	return v.Weights.Tensor(s)
}

func (v *renamed) Names() []string { return v.names }
