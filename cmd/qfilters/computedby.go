package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/qfilters/qfilters/kernels"
)

// computedBy adds to a run's provenance what computed it: qfilters' version
// and the kernel path. Neither is part of a run's identity: shards computed
// on different CPUs (an AVX2 node and an AVX-512 one) still merge, their
// float32 sums agreeing to rounding, but the result is then not bit for bit
// a single run's, and merge says so.
func computedBy(provenance map[string]string) map[string]string {
	provenance["qfilters_version"] = version
	provenance["kernels"] = kernels.CurrentPath()
	return provenance
}

// withShardsComputedBy returns a copy of a merge's provenance whose kernel
// path is the shards' distinct ones, in shard order, and notes on stderr
// when the shards were computed by different versions or kernel paths.
// Shards written before these were recorded count as unknown.
func withShardsComputedBy(stderr io.Writer, merged map[string]string, provenances []map[string]string) map[string]string {
	distinct := func(key string) []string {
		var vs []string
		for _, p := range provenances {
			v := p[key]
			if v == "" {
				v = "unknown"
			}
			if !slices.Contains(vs, v) {
				vs = append(vs, v)
			}
		}
		return vs
	}
	paths, versions := distinct("kernels"), distinct("qfilters_version")
	if len(paths) > 1 || len(versions) > 1 {
		fmt.Fprintf(stderr, "qfilters: note: the shards were computed by different qfilters versions (%s) or kernel paths (%s): the merge equals a single run's result to float32 rounding, not bit for bit\n",
			strings.Join(versions, "; "), strings.Join(paths, "; "))
	}
	out := maps.Clone(merged)
	if out == nil {
		out = map[string]string{}
	}
	out["kernels"] = strings.Join(paths, "; ")
	return out
}
