package export

import (
	"fmt"
	"slices"
)

// Models whose layers do not all write a KV cache (Qwen3-Next and Qwen 3.5:
// three linear-attention layers in four) keep one row per decoder layer in
// q_filters, zeros where a layer has no cache, so that kvpress's
// q_filters[module.layer_idx] (layer_idx counts every decoder layer) is the
// filter of that layer. config.json then lists, per layer, what its cache is:
//
//	"layer_caches": ["none", "none", "none", "own", ...]
//
// "own": the layer writes its own cache, filtered by q_filters[layer];
// "none": it has no cache, q_filters[layer] is zeros and never read. The key
// is absent when every layer has its own cache, so those directories are
// byte for byte what they were (and what the reference library writes);
// QFilters.from_pretrained ignores keys its __init__ does not name.

// Cache kinds in layer_caches.
const (
	CacheOwn  = "own"
	CacheNone = "none"
)

// HasCache reports whether layer l writes a KV cache (has a filter).
func (f *Filters) HasCache(l int) bool {
	_, found := slices.BinarySearch(f.NoCache, l)
	return !found
}

// layerCaches is config.json's layer_caches, nil when every layer has a
// cache.
func (f *Filters) layerCaches() []string {
	if len(f.NoCache) == 0 {
		return nil
	}
	out := make([]string, f.Layers)
	for l := range out {
		out[l] = CacheOwn
		if !f.HasCache(l) {
			out[l] = CacheNone
		}
	}
	return out
}

// parseLayerCaches reads layer_caches into the list of layers without a
// cache.
func parseLayerCaches(kinds []string, layers int) ([]int, error) {
	if kinds == nil {
		return nil, nil
	}
	if len(kinds) != layers {
		return nil, fmt.Errorf("layer_caches has %d entries for num_layers=%d", len(kinds), layers)
	}
	var none []int
	for l, k := range kinds {
		switch k {
		case CacheOwn:
		case CacheNone:
			none = append(none, l)
		default:
			return nil, fmt.Errorf("layer_caches[%d] = %q: this qfilters knows %q and %q", l, k, CacheOwn, CacheNone)
		}
	}
	if len(none) == layers {
		return nil, fmt.Errorf("layer_caches: no layer has a cache")
	}
	return none, nil
}

// validateNoCache checks NoCache's indices and that the layers it names
// hold only zeros.
func (f *Filters) validateNoCache() error {
	for i, l := range f.NoCache {
		if l < 0 || l >= f.Layers || i > 0 && l <= f.NoCache[i-1] {
			return fmt.Errorf("layers without a cache %v: need increasing indices in [0, %d)", f.NoCache, f.Layers)
		}
	}
	if len(f.NoCache) > 0 && len(f.NoCache) == f.Layers {
		return fmt.Errorf("no layer has a cache")
	}
	for _, l := range f.NoCache {
		for name, part := range map[string][]float32{
			QFiltersTensor:       rowOf(f.QFilters, l, f.KVHeads*f.HeadDim),
			PerQueryHeadTensor:   rowOf(f.PerQueryHead, l, f.Heads*f.HeadDim),
			SingularValuesTensor: rowOf(f.SingularValues, l, f.Heads*f.HeadDim),
			SignAgreementTensor:  rowOf(f.SignAgreement, l, f.Heads),
		} {
			for _, v := range part {
				if v != 0 {
					return fmt.Errorf("%s: layer %d has no cache but nonzero values", name, l)
				}
			}
		}
	}
	return nil
}

// rowOf is layer l's share of a layer-major tensor, nil when it is absent.
func rowOf(v []float32, l, width int) []float32 {
	if v == nil {
		return nil
	}
	return v[l*width : (l+1)*width]
}
