package export

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
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
// "none": it has no cache, q_filters[layer] is zeros and never read;
// "shared:N": it reads layer N's cache (Gemma 4's num_kv_shared_layers), and
// q_filters[layer] is a copy of q_filters[N], the one filter of that cache.
// When layers differ in shape (Gemma 4's global layers), layer_kv_heads and
// layer_head_dims give each layer's, num_kv_heads and kv_head_dim the
// largest, and a layer's rows are zeros beyond its own. These keys are
// absent when every layer has its own cache of one shape, so those
// directories are byte for byte what they were (and what the reference
// library writes); QFilters.from_pretrained ignores keys its __init__ does
// not name.

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
	if len(f.NoCache) == 0 && f.KVOwner == nil {
		return nil
	}
	out := make([]string, f.Layers)
	for l := range out {
		switch {
		case !f.HasCache(l):
			out[l] = CacheNone
		case f.CacheOwner(l) != l:
			out[l] = fmt.Sprintf("%s%d", cacheShared, f.CacheOwner(l))
		default:
			out[l] = CacheOwn
		}
	}
	return out
}

// cacheShared prefixes the owner of a shared cache in layer_caches.
const cacheShared = "shared:"

// CacheOwner is the layer whose cache layer l reads.
func (f *Filters) CacheOwner(l int) int {
	if f.KVOwner != nil {
		return f.KVOwner[l]
	}
	return l
}

// KVHeadsOf is layer l's number of kv heads.
func (f *Filters) KVHeadsOf(l int) int {
	if f.LayerKVHeads != nil {
		return f.LayerKVHeads[l]
	}
	return f.KVHeads
}

// HeadDimOf is layer l's head dim.
func (f *Filters) HeadDimOf(l int) int {
	if f.LayerHeadDim != nil {
		return f.LayerHeadDim[l]
	}
	return f.HeadDim
}

// parseLayerCaches reads layer_caches into the list of layers without a
// cache and the owner of each layer's cache (nil when none is shared).
func parseLayerCaches(kinds []string, layers int) (none, owner []int, err error) {
	if kinds == nil {
		return nil, nil, nil
	}
	if len(kinds) != layers {
		return nil, nil, fmt.Errorf("layer_caches has %d entries for num_layers=%d", len(kinds), layers)
	}
	owner = make([]int, layers)
	shared := false
	for l, k := range kinds {
		owner[l] = l
		switch {
		case k == CacheOwn:
		case k == CacheNone:
			none = append(none, l)
		case strings.HasPrefix(k, cacheShared):
			o, err := strconv.Atoi(k[len(cacheShared):])
			if err != nil || o < 0 || o >= l || kinds[o] != CacheOwn {
				return nil, nil, fmt.Errorf("layer_caches[%d] = %q: a shared cache must be an earlier layer's own", l, k)
			}
			owner[l], shared = o, true
		default:
			return nil, nil, fmt.Errorf("layer_caches[%d] = %q: this qfilters knows %q, %q and %q+layer", l, k, CacheOwn, CacheNone, cacheShared)
		}
	}
	if len(none) == layers {
		return nil, nil, fmt.Errorf("layer_caches: no layer has a cache")
	}
	if !shared {
		owner = nil
	}
	return none, owner, nil
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
	if err := f.validateShapes(); err != nil {
		return err
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

// validateShapes checks the per-layer shapes and shared caches: rows zero
// beyond a layer's own kv heads and head dim, readers' rows equal to their
// owner's.
func (f *Filters) validateShapes() error {
	if (f.LayerKVHeads == nil) != (f.LayerHeadDim == nil) {
		return fmt.Errorf("layer_kv_heads and layer_head_dims come together")
	}
	for _, list := range [][]int{f.LayerKVHeads, f.LayerHeadDim, f.KVOwner} {
		if list != nil && len(list) != f.Layers {
			return fmt.Errorf("a per-layer list has %d entries for %d layers", len(list), f.Layers)
		}
	}
	for l := range f.LayerKVHeads {
		kv, d := f.LayerKVHeads[l], f.LayerHeadDim[l]
		if kv < 1 || kv > f.KVHeads || d < 1 || d > f.HeadDim || f.Heads > 0 && f.Heads%kv != 0 {
			return fmt.Errorf("layer %d: %d kv heads of %d dims, outside [%d, %d] or not dividing %d query heads", l, kv, d, f.KVHeads, f.HeadDim, f.Heads)
		}
		for g := range f.KVHeads {
			row := f.Filter(l, g)
			for i, v := range row {
				if v != 0 && (g >= kv || i >= d) {
					return fmt.Errorf("%s: layer %d has %d kv heads of %d dims but kv head %d holds a nonzero value at %d", QFiltersTensor, l, kv, d, g, i)
				}
			}
		}
	}
	kvw, qw := f.KVHeads*f.HeadDim, f.Heads*f.HeadDim
	for l, o := range f.KVOwner {
		if o < 0 || o > l || f.CacheOwner(o) != o || !f.HasCache(o) {
			return fmt.Errorf("layer %d reads the cache of layer %d, which is not an earlier layer's own", l, o)
		}
		if o == l {
			continue
		}
		if f.LayerKVHeads != nil && (f.LayerKVHeads[l] != f.LayerKVHeads[o] || f.LayerHeadDim[l] != f.LayerHeadDim[o]) {
			return fmt.Errorf("layer %d reads the cache of layer %d but their shapes differ", l, o)
		}
		if !slices.Equal(rowOf(f.QFilters, l, kvw), rowOf(f.QFilters, o, kvw)) ||
			f.PerQueryHead != nil && !slices.Equal(rowOf(f.PerQueryHead, l, qw), rowOf(f.PerQueryHead, o, qw)) {
			return fmt.Errorf("layer %d reads the cache of layer %d: its filters must be that cache's (layer %d's)", l, o, o)
		}
	}
	return nil
}
