package export

// Noise of a comparison: two calibrations that differ only by their draw of
// sequences differ by sampling noise, which each one's split-half stability
// measures. Under the 1/n law (docs/STABILITY.md) a filter from n sequences
// has an error e with E|e|² = v, and its halves agree to
// 1 - stability ≈ 2v; two runs a and b then differ by
// E[1 - cos(a, b)] ≈ (v_a + v_b)/2 = ((1 - s_a) + (1 - s_b))/4.
// A head is within noise when
//
//	1 - cos(a, b) <= (1 - s_a) + (1 - s_b)
//
// four times that expectation (1 - cos is a sum of squared error components,
// so pure noise rarely exceeds four times its mean: with one component, 5%
// of the time; with many, far less often); beyond it is drift.

// NoiseBound returns the most 1 - cos(a, b) that split-half noise explains
// for two runs of stabilities sa and sb.
func NoiseBound(sa, sb float64) float64 { return (1 - sa) + (1 - sb) }

// AddNoise sets the comparison's noise bounds from a's and b's stability,
// when both have it (else they stay nil).
func (c *Comparison) AddNoise(a, b *Filters) {
	if a.StabilityKV != nil && b.StabilityKV != nil {
		// Rows name their head: layers without a cache have none.
		c.KVNoise = make([]float64, len(c.KV))
		for i, v := range c.KV {
			j := v.Layer*a.KVHeads + v.Head
			c.KVNoise[i] = NoiseBound(float64(a.StabilityKV[j]), float64(b.StabilityKV[j]))
		}
	}
	if c.Query != nil && a.Stability != nil && b.Stability != nil {
		c.QueryNoise = make([]float64, len(c.Query))
		for i, v := range c.Query {
			j := v.Layer*a.Heads + v.Head
			c.QueryNoise[i] = NoiseBound(float64(a.Stability[j]), float64(b.Stability[j]))
		}
	}
}

// WithinNoise reports whether head i of a level (values, bounds) differs by
// no more than the noise bound.
func withinNoise(v HeadValue, bound float64) bool { return 1-v.Value <= bound }

// Split divides the heads of each level into those within noise and those
// that drift beyond it (both nil when the level has no noise bounds).
func (c *Comparison) Split() (kvNoise, kvDrift, qNoise, qDrift []HeadValue) {
	split := func(vals []HeadValue, bounds []float64) (in, out []HeadValue) {
		if bounds == nil {
			return nil, nil
		}
		for i, v := range vals {
			if withinNoise(v, bounds[i]) {
				in = append(in, v)
			} else {
				out = append(out, v)
			}
		}
		return in, out
	}
	kvNoise, kvDrift = split(c.KV, c.KVNoise)
	qNoise, qDrift = split(c.Query, c.QueryNoise)
	return
}

// WithinNoise reports whether kv (level "kv") or query head (layer, head) is within
// noise; false when the level has no noise bounds.
func (c *Comparison) WithinNoise(level string, layer, head int) bool {
	vals, bounds := c.KV, c.KVNoise
	if level == "query" {
		vals, bounds = c.Query, c.QueryNoise
	}
	if bounds == nil {
		return false
	}
	for i, v := range vals { // rows skip the layers without a cache
		if v.Layer == layer && v.Head == head {
			return withinNoise(v, bounds[i])
		}
	}
	return false
}
