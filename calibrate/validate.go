package calibrate

import (
	"fmt"
	"math"
)

// Stats files come from other machines and checkpoints from earlier runs:
// every field is checked before it is used, so that a damaged or foreign
// file is refused with one line instead of merging into wrong filters (or
// panicking).

// Bounds on what a stats file may claim, far above any real model or run;
// they keep a hostile file from making the reader allocate or loop without
// end. Layers, heads and head dim are those a model config is accepted with
// (model.Config); maxFilterValues bounds layers x heads x head dim, the size
// of each per-query-head array solving allocates whatever the file holds
// (Llama 3.1 405B has 2.1e6, 1/32 of it).
const (
	maxLayers, maxHeads, maxHeadDim = 1 << 10, 1 << 10, 1 << 12
	maxFilterValues                 = 1 << 26
	// maxCovarianceValues bounds layers x heads x head dim² of query
	// statistics (Llama 3.1 405B has 2.6e8, 1/4 of it).
	maxCovarianceValues = 1 << 30
	maxPositions        = 1 << 40
	// maxStatsSamples bounds --samples N below the number of positions in
	// sharded runs: each reader redraws the sample (O(N) memory).
	maxStatsSamples = 1 << 22
)

// maxSampleWork bounds samples × layers of a sampled stats file: checking
// its positions redraws every layer's sample (seconds at the bound; a real
// run is far below: 3000 × 80 for a 70B model). A variable so that the
// fuzz target can lower it.
var maxSampleWork = 1 << 26

// check validates the metadata on its own.
func (m StatsMeta) check() error {
	switch {
	case m.Version != statsVersion:
		return fmt.Errorf("stats format version %d, this qfilters reads %d", m.Version, statsVersion)
	case m.Layers < 1 || m.Layers > maxLayers:
		return fmt.Errorf("layers %d outside [1, %d]", m.Layers, maxLayers)
	case m.Heads < 1 || m.Heads > maxHeads || m.KVHeads < 1 || m.Heads%m.KVHeads != 0:
		return fmt.Errorf("%d query heads over %d kv heads: need 1 <= kv heads, a multiple of them <= %d", m.Heads, m.KVHeads, maxHeads)
	case m.HeadDim < 1 || m.HeadDim > maxHeadDim:
		return fmt.Errorf("head_dim %d outside [1, %d]", m.HeadDim, maxHeadDim)
	case int64(m.Layers)*int64(m.Heads)*int64(m.HeadDim) > maxFilterValues: // 2^32 at the bounds: int64 on 32-bit platforms
		return fmt.Errorf("%d layers x %d heads x %d head dim: above the %d values per tensor any model's filters have", m.Layers, m.Heads, m.HeadDim, maxFilterValues)
	case m.Shards < 1 || m.Shard < 0 || m.Shard >= m.Shards:
		return fmt.Errorf("shard %d/%d: need 0 <= shard < shards", m.Shard, m.Shards)
	case m.TotalPositions < 1 || int64(m.TotalPositions) > maxPositions:
		return fmt.Errorf("total_positions %d outside [1, %d]", m.TotalPositions, int64(maxPositions))
	case m.NumSeqs < m.Shards || m.NumSeqs > m.TotalPositions:
		return fmt.Errorf("%d sequences for %d shards and %d positions", m.NumSeqs, m.Shards, m.TotalPositions)
	case m.First < 0 || m.First >= m.End || m.End > m.TotalPositions:
		return fmt.Errorf("shard positions [%d, %d) not a range inside [0, %d)", m.First, m.End, m.TotalPositions)
	case m.Samples < 0:
		return fmt.Errorf("samples %d is negative", m.Samples)
	case m.Samples < m.TotalPositions && m.Samples > maxStatsSamples:
		return fmt.Errorf("samples %d above the %d a stats file may hold", m.Samples, maxStatsSamples)
	case m.Samples < m.TotalPositions && int64(m.Samples)*int64(m.Layers) > int64(maxSampleWork):
		return fmt.Errorf("%d samples over %d layers: above the %d sampled positions a stats file may hold", m.Samples, m.Layers, maxSampleWork)
	case checkNoCache(m.NoCache, m.Layers) != nil:
		return checkNoCache(m.NoCache, m.Layers)
	case checkShapes(m) != nil:
		return checkShapes(m)
	case m.SeqLen < 0 || m.SeqLen > 0 && (m.TotalPositions%m.SeqLen != 0 || m.TotalPositions/m.SeqLen != m.NumSeqs):
		return fmt.Errorf("seq_len %d: %d sequences of it are not the %d positions", m.SeqLen, m.NumSeqs, m.TotalPositions)
	case m.Gram && m.Samples != 0:
		return fmt.Errorf("statistics claim Gram matrices of %d samples: Gram matrices are only kept for every position", m.Samples)
	case !isHexHash(m.Sequences):
		return fmt.Errorf("sequences hash %.80q is not a hex SHA-256", m.Sequences)
	}
	return nil
}

func isHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// everyPosition reports whether a layer's sample is every position.
func (m StatsMeta) everyPosition() bool {
	return m.Samples == 0 || m.Samples >= m.TotalPositions
}

// checkLayer validates layer l's statistics against the metadata: the
// positions are exactly the shard's share of the layer's sample (as every
// worker draws it from the seed), the rows, Gram matrices and sums finite,
// the count the shard's number of positions.
func (st *Stats) checkLayer(l int) error {
	m, ls := st.Meta, &st.Layers[l]
	if m.Gram {
		if want := int64(m.End - m.First); ls.Count != want {
			return fmt.Errorf("layer %d: count %d, but the shard has %d positions", l, ls.Count, want)
		}
		if i := firstNonFinite64(ls.Gram); i >= 0 {
			return fmt.Errorf("layer %d: Gram matrix value %d is %v", l, i, ls.Gram[i])
		}
		if i := firstNonFinite64(ls.Sum); i >= 0 {
			return fmt.Errorf("layer %d: row sum value %d is %v", l, i, ls.Sum[i])
		}
		if ls.FoldGram[0] != nil {
			if m.SeqLen == 0 {
				return fmt.Errorf("layer %d: fold statistics without a sequence length to split by", l)
			}
			for k := range stabilityFolds {
				// Positions in [0, x) in sequences of fold k (index mod 4 = k).
				in := func(x int) int64 {
					period := stabilityFolds * m.SeqLen
					return int64(x/period*m.SeqLen + min(max(x%period-k*m.SeqLen, 0), m.SeqLen))
				}
				if want := in(m.End) - in(m.First); ls.FoldCount[k] != want {
					return fmt.Errorf("layer %d: fold %d counts %d rows, but the shard has %d positions in it", l, k, ls.FoldCount[k], want)
				}
				if i := firstNonFinite64(ls.FoldGram[k]); i >= 0 {
					return fmt.Errorf("layer %d: fold %d Gram value %d is %v", l, k, i, ls.FoldGram[k][i])
				}
				if i := firstNonFinite64(ls.FoldSum[k]); i >= 0 {
					return fmt.Errorf("layer %d: fold %d sum value %d is %v", l, k, i, ls.FoldSum[k][i])
				}
			}
		}
		return nil
	}
	var want []int
	if m.everyPosition() {
		if len(ls.Positions) != m.End-m.First {
			return fmt.Errorf("layer %d: %d positions, but every position of the shard's [%d, %d) is used", l, len(ls.Positions), m.First, m.End)
		}
	} else {
		for _, p := range samplePositions(m.Seed, l, m.TotalPositions, m.Samples) {
			if p >= m.First && p < m.End {
				want = append(want, p)
			}
		}
		if len(ls.Positions) != len(want) {
			return fmt.Errorf("layer %d: %d positions, but the shard's share of the sample (seed %d, positions [%d, %d)) has %d", l, len(ls.Positions), m.Seed, m.First, m.End, len(want))
		}
	}
	for i, p := range ls.Positions {
		expect := int64(m.First + i)
		if want != nil {
			expect = int64(want[i])
		}
		if p != expect {
			return fmt.Errorf("layer %d: position %d is %d, the shard's sample has %d (positions must be increasing, unique and this shard's own)", l, i, p, expect)
		}
	}
	if i := firstNonFinite32(ls.Rows); i >= 0 {
		w := m.Heads * m.HeadDim
		return fmt.Errorf("layer %d: query row %d value %d is %v", l, i/w, i%w, ls.Rows[i])
	}
	return nil
}

func firstNonFinite64(v []float64) int {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return i
		}
	}
	return -1
}

func firstNonFinite32(v []float32) int {
	for i, x := range v {
		if x != x || x > math.MaxFloat32 || x < -math.MaxFloat32 {
			return i
		}
	}
	return -1
}

// checkShapes validates the per-layer shapes and cache owners of stats.
func checkShapes(m StatsMeta) error {
	if (m.LayerKVHeads == nil) != (m.LayerHeadDim == nil) {
		return fmt.Errorf("layer_kv_heads and layer_head_dim come together")
	}
	for _, list := range [][]int{m.LayerKVHeads, m.LayerHeadDim, m.KVOwner} {
		if list != nil && len(list) != m.Layers {
			return fmt.Errorf("a per-layer list has %d entries for %d layers", len(list), m.Layers)
		}
	}
	for l := range m.LayerKVHeads {
		kv, d := m.LayerKVHeads[l], m.LayerHeadDim[l]
		if kv < 1 || kv > m.KVHeads || m.Heads%kv != 0 || d < 1 || d > m.HeadDim {
			return fmt.Errorf("layer %d: %d kv heads of %d: outside the stats' %d x %d", l, kv, d, m.KVHeads, m.HeadDim)
		}
	}
	for l, o := range m.KVOwner {
		if o < 0 || o > l || m.KVOwner[o] != o {
			return fmt.Errorf("layer %d reads the cache of layer %d, which is not an earlier owner", l, o)
		}
		// A shared cache is solved at its last reader into its owner's row:
		// a layer without a cache can be neither.
		if o != l && (!hasCache(m.NoCache, l) || !hasCache(m.NoCache, o)) {
			return fmt.Errorf("layer %d reads the cache of layer %d, but one of them is without a cache", l, o)
		}
	}
	return nil
}
