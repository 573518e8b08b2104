package model

import (
	"fmt"
	"math"
)

// Blocks are the optional building blocks a config turns on for a layer or
// the whole model, beyond the Llama block: the pieces of the 2025-26 families
// (SmolLM3, OLMo 3, Granite, GLM-4 / GLM-4.5, Cohere 2, Llama 4). Zero values
// mean the block is off. Embedded in Config; a family's config hook fills
// them from its own keys.
type Blocks struct {
	// NoRoPE[l]: layer l applies no rotary embedding (NoPE: SmolLM3's and
	// Llama 4's every fourth layer, Cohere 2's global layers). Its queries
	// and keys are the projections as they are (after any norm or scaling).
	NoRoPE []bool
	// Chunk[l] > 0: layer l's queries see only the keys of their own chunk
	// of Chunk[l] positions (0-based chunks [0,C), [C,2C)...), causally
	// (Llama 4's chunked_attention).
	Chunk []int
	// RopeInterleaved: RoPE rotates the pairs (2i, 2i+1) of each head's
	// rotary dimensions (GLM-4, Cohere, Llama 4's complex form) instead of
	// (i, i+rotary/2).
	RopeInterleaved bool

	// Multipliers, 0 meaning none: embeddings are multiplied by
	// EmbedMultiplier, each sub-block's output by ResidualMultiplier before
	// the residual add (Granite), logits by LogitScale (Cohere's
	// logit_scale, Granite's 1/logits_scaling).
	EmbedMultiplier, ResidualMultiplier, LogitScale float64
	// AttentionMultiplier replaces 1/sqrt(head_dim) as the score scale (Granite).
	AttentionMultiplier float64

	// NoQKNorm: the family's q/k norms are left out (use_qk_norm false:
	// GLM-4.5, Llama 4).
	NoQKNorm bool
	// Llama 4's attention temperature tuning on NoPE layers: the query at
	// position p is multiplied by 1 + TempScale·log1p(floor((p+1)/TempFloor)).
	TempScale, TempFloor float64

	// MoE beyond Mixtral's: the shared expert's intermediate size (0: none),
	// the factor on the routed weights, and group-limited routing
	// (DeepSeek-V3 / GLM-4.5: experts in Groups groups, the best
	// TopKGroups groups by the sum of their two best scores are eligible).
	SharedIntermediate int
	RoutedScale        float64
	Groups, TopKGroups int
}

// firstVisible is the first key position query i sees under a sliding
// window (0: none) and chunking (0: none).
func firstVisible(i, window, chunk int) int {
	lo := 0
	if window > 0 {
		lo = max(0, i-window+1)
	}
	if chunk > 0 {
		lo = max(lo, i-i%chunk)
	}
	return lo
}

// FirstVisible is the first key position that the query at position i sees
// in layer l (sliding window and chunking; 0 for full causal attention).
func (c *Config) FirstVisible(l, i int) int {
	w, ch := 0, 0
	if l < len(c.Window) {
		w = c.Window[l]
	}
	if l < len(c.Chunk) {
		ch = c.Chunk[l]
	}
	return firstVisible(i, w, ch)
}

// isNoPE reports whether layer l applies no rotary embedding.
func (c *Config) isNoPE(l int) bool { return l < len(c.NoRoPE) && c.NoRoPE[l] }

// afterRoPE applies what follows RoPE for one sequence of n tokens at
// positions pos0...: Llama 4's L2 norm of q and k (RoPE layers), or its
// temperature on the queries (NoPE layers).
func (l *Layer) afterRoPE(q, k []float32, n, pos0 int) {
	if l.l2 != nil {
		l.l2.apply(q)
		l.l2.apply(k)
	}
	if l.tempScale == 0 {
		return
	}
	w := l.cfg.Heads * l.cfg.HeadDim
	for p := 0; p < n; p++ {
		// In float32, as transformers computes it from cache_position.
		f := float32(math.Floor(float64((float32(pos0+p) + 1) / float32(l.tempFloor))))
		s := float32(math.Log1p(float64(f)))*float32(l.tempScale) + 1
		row := q[p*w : (p+1)*w]
		for i := range row {
			row[i] *= s
		}
	}
}

// addResidual adds a sub-block's output x to h, scaled by the residual
// multiplier when there is one.
func (l *Layer) addResidual(h, x []float32) {
	if m := l.cfg.ResidualMultiplier; m != 0 {
		s := float32(m)
		for i, v := range x {
			h[i] += v * s
		}
		return
	}
	addInto(h, x)
}

// attendChunked runs causal attention within each chunk of the sequence:
// chunks never see each other, so each is an independent causal attention
// over its own queries and keys (RoPE was applied at absolute positions).
func attendChunked(chunk, n, qw, kw int, out, q, k, v []float32, attend func(out, q, k, v []float32, n int)) {
	if chunk <= 0 {
		attend(out, q, k, v, n)
		return
	}
	for c0 := 0; c0 < n; c0 += chunk {
		e := min(n, c0+chunk)
		attend(out[c0*qw:e*qw], q[c0*qw:e*qw], k[c0*kw:e*kw], v[c0*kw:e*kw], e-c0)
	}
}

// layerBlocks sets up layer ly's building blocks from the config.
func (m *Model) layerBlocks(ly *Layer) {
	c, l := m.Config, ly.Index
	ly.rope.interleaved = c.RopeInterleaved
	if c.isNoPE(l) {
		ly.rope = nil
		ly.tempScale, ly.tempFloor = c.TempScale, c.TempFloor
	} else if m.fam.qkL2 && !c.NoQKNorm {
		ones := make([]float32, c.HeadDim)
		for i := range ones {
			ones[i] = 1
		}
		ly.l2 = &norm{kind: rmsNorm, weight: ones, eps: c.NormEps}
	}
	if l < len(c.Chunk) {
		ly.chunk = c.Chunk[l]
	}
	if c.AttentionMultiplier != 0 {
		ly.scale = c.AttentionMultiplier
	}
}

// noRoPELayers reads no_rope_layers (SmolLM3, Llama 4: 1 where the layer
// applies RoPE, 0 where it does not) as the NoPE flag of each layer; absent
// or empty, every no_rope_layer_interval-th layer (default 4) is NoPE.
// transformers indexes the list by layer: it may be longer than the layers.
func noRoPELayers(c *Config, r *reader) ([]bool, error) {
	nope := make([]bool, c.Layers)
	if list := r.ints("no_rope_layers"); len(list) > 0 {
		if len(list) < c.Layers {
			return nil, fmt.Errorf("no_rope_layers has %d entries for %d layers", len(list), c.Layers)
		}
		for i := range nope {
			nope[i] = list[i] == 0
		}
		return nope, nil
	}
	interval := r.int("no_rope_layer_interval", 4)
	if interval <= 0 {
		return nil, fmt.Errorf("no_rope_layer_interval must be positive, got %d", interval)
	}
	for i := range nope {
		nope[i] = (i+1)%interval == 0
	}
	return nope, nil
}
