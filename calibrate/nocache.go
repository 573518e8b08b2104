package calibrate

import (
	"fmt"
	"slices"

	"github.com/qfilters/qfilters/model"
)

// Layers without a KV cache (the linear-attention layers of a hybrid model)
// have no queries to calibrate. They keep their index in every per-layer
// array, so that q_filters[layer_idx] stays what kvpress reads, and hold
// zeros there; the runs, stats and checkpoints below skip them.

// noCacheLayers lists the layers of c that write no KV cache, increasing;
// nil for a model whose layers all do.
func noCacheLayers(c *model.Config) []int {
	var out []int
	for l := 0; l < c.Layers; l++ {
		if !c.HasCache(l) {
			out = append(out, l)
		}
	}
	return out
}

// hasCache reports whether layer l is not in noCache.
func hasCache(noCache []int, l int) bool {
	_, found := slices.BinarySearch(noCache, l)
	return !found
}

// checkNoCache validates a list of cacheless layers read from a file.
func checkNoCache(noCache []int, layers int) error {
	for i, l := range noCache {
		if l < 0 || l >= layers || i > 0 && l <= noCache[i-1] {
			return fmt.Errorf("layers without a cache %v: need increasing indices in [0, %d)", noCache, layers)
		}
	}
	if len(noCache) == layers {
		return fmt.Errorf("every layer is without a cache: nothing to calibrate")
	}
	return nil
}
