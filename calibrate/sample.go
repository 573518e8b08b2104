package calibrate

import (
	"math/rand/v2"
	"slices"
)

// samplePositions picks k distinct token positions out of n for one layer,
// as the reference does (the same positions for every head of the layer,
// fresh ones for each layer). The choice depends only on (seed, layer, n, k),
// so every worker of a sharded run agrees on it. k <= 0 or k >= n selects all
// positions. The result is sorted.
func samplePositions(seed int64, layer, n, k int) []int {
	if k <= 0 || k >= n {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		return all
	}
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(layer)+0x9e3779b97f4a7c15))
	// Partial Fisher-Yates over a sparse map: O(k) memory whatever n is.
	swapped := make(map[int]int, k)
	at := func(i int) int {
		if v, ok := swapped[i]; ok {
			return v
		}
		return i
	}
	out := make([]int, k)
	for i := 0; i < k; i++ {
		j := i + rng.IntN(n-i)
		out[i] = at(j)
		swapped[j] = at(i)
	}
	slices.Sort(out)
	return out
}
