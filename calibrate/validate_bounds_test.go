package calibrate

import (
	"strings"
	"testing"
)

// TestReadStatsRefusesWhatNoModelHas: a stats file is refused, before
// anything is solved, when it claims a shape no model config is accepted
// with (a head dim above 4096: one 64 KB row would make the solver build a
// 2 GiB Gram matrix per head and decompose it for hours), or more filter
// values than any model has (a file whose layers all but one lack a cache
// is small, but the result is sized by every layer), or a shared cache that
// a layer without a cache owns or reads (those layers would be solved into
// the wrong row or not at all).
func TestReadStatsRefusesWhatNoModelHas(t *testing.T) {
	one := func(layers, heads, d int) *Stats {
		st := &Stats{Meta: StatsMeta{
			Version: statsVersion, Samples: 0, Sequences: strings.Repeat("ab", 32), NumSeqs: 1, TotalPositions: 1,
			First: 0, End: 1, Layers: layers, Heads: heads, KVHeads: 1, HeadDim: d, Shards: 1,
		}, Layers: make([]LayerStats, layers)}
		for l := 1; l < layers; l++ {
			st.Meta.NoCache = append(st.Meta.NoCache, l)
		}
		st.Layers[0] = LayerStats{Positions: []int64{0}, Rows: make([]float32, heads*d)}
		return st
	}
	if _, err := roundTrip(t, one(4, 2, 64)); err != nil {
		t.Fatalf("a valid file: %v", err)
	}
	for name, c := range map[string]struct {
		st   *Stats
		want string
	}{
		"head dim":      {one(1, 1, 1<<14), "head_dim 16384 outside"},
		"filter values": {one(1<<10, 1<<10, 1<<12), "values per tensor"},
	} {
		if _, err := roundTrip(t, c.st); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", name, err, c.want)
		}
	}
	for name, c := range map[string]struct {
		noCache, owner []int
	}{
		"owner without a cache":  {[]int{0}, []int{0, 0}},
		"reader without a cache": {[]int{1}, []int{0, 0}},
	} {
		st := synthStats(0, 1, 12, false)
		st.Meta.NoCache, st.Meta.KVOwner = c.noCache, c.owner
		st.Layers[c.noCache[0]] = LayerStats{}
		if _, err := roundTrip(t, st); err == nil || !strings.Contains(err.Error(), "without a cache") {
			t.Errorf("%s: got %v, want a refusal", name, err)
		}
	}
}
