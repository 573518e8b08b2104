package model

import (
	"github.com/qfilters/qfilters/kernels"
)

// Layer is one decoder block with its weights loaded. The same code runs every
// family: which norms exist, how q/k/v are projected and which MLP is used
// come from the family's data.
type Layer struct {
	Index int
	cfg   *Config

	attnNorm, postAttnNorm, preMLPNorm, postMLPNorm *norm

	q, k, v, o   *linear
	qkvPerHead   *linear // GPT-NeoX fused projection, per-head [q k v] blocks
	qNorm, kNorm *norm

	rope   *rope
	window int
	scale  float64

	mlp mlp // nil when only the queries are needed (last calibration layer)

	// Stop, when set, is checked between chunks of Forward: once it returns
	// true, Forward returns early and leaves h undefined (a run that was
	// interrupted).
	Stop func() bool

	// PreRoPE, when set, receives each sequence's queries before RoPE (after
	// the projection, bias and q-norm), [seq][heads*headDim], in order: what
	// Expected Attention's statistics are computed from. Valid during the call.
	PreRoPE func(layer int, queries []float32)
	// Values, when set, receives each sequence's values [seq][kvHeads*headDim]
	// in Forward, in order. Valid during the call.
	Values func(layer int, values []float32)
	// Lifetimes, when set, makes Forward's attention that of a KV cache that
	// evicts: called with each sequence's post-RoPE keys
	// [seq][kvHeads*headDim] (seq: the sequence's index among Forward's), it
	// returns per kv head each key's lifetime: the first query position that
	// no longer sees it (see kernels.AttentionLive); nil for the full cache.
	Lifetimes func(layer, seq int, keys []float32) [][]int32
}

// Capture receives a layer's post-RoPE queries [seq][heads*headDim] and keys
// [seq][kvHeads*headDim], one sequence at a time, in order. The slices are
// only valid during the call.
type Capture func(layer int, queries, keys []float32)

// maxChunkRows bounds the tokens pushed through the block's matrix products
// at once: enough rows that converting each weight panel to float32 is paid
// over thousands of tokens, few enough that the MLP's activations stay small.
const maxChunkRows = 4096

// Forward runs the block over h, the hidden states of consecutive sequences
// of lengths seqLens ([Σ seqLens][hidden], updated in place), calling capture
// (if not nil) with each sequence's queries and keys. Sequences are batched
// through the matrix products; attention stays within each sequence.
func (l *Layer) Forward(h []float32, seqLens []int, capture Capture) {
	hidden := l.cfg.Hidden
	for first := 0; first < len(seqLens); {
		if l.Stop != nil && l.Stop() {
			return
		}
		end, rows := first, 0
		for end < len(seqLens) && (end == first || rows+seqLens[end] <= maxChunkRows) {
			rows += seqLens[end]
			end++
		}
		l.forwardChunk(h[:rows*hidden], seqLens[first:end], first, capture)
		h = h[rows*hidden:]
		first = end
	}
}

func (l *Layer) forwardChunk(h []float32, seqLens []int, first int, capture Capture) {
	c := l.cfg
	rows := len(h) / c.Hidden
	x := h
	if l.attnNorm != nil {
		x = append([]float32(nil), h...)
		l.attnNorm.apply(x)
	}
	q, k, v := l.project(x, seqLens, 0)
	att := make([]float32, rows*c.Heads*c.HeadDim)
	qw, kw := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	start := 0
	for si, n := range seqLens {
		qs, ks, vs := q[start*qw:(start+n)*qw], k[start*kw:(start+n)*kw], v[start*kw:(start+n)*kw]
		if capture != nil {
			capture(l.Index, qs, ks)
		}
		if l.Values != nil {
			l.Values(l.Index, vs)
		}
		opts := kernels.AttentionOpts{Scale: float32(l.scale), SoftCap: float32(c.AttnSoftcap), Window: l.window}
		var until [][]int32
		if l.Lifetimes != nil {
			until = l.Lifetimes(l.Index, first+si, ks)
		}
		if until != nil {
			kernels.AttentionLive(att[start*qw:(start+n)*qw], qs, ks, vs, n, c.Heads, c.KVHeads, c.HeadDim, opts, until)
		} else {
			kernels.Attention(att[start*qw:(start+n)*qw], qs, ks, vs, n, c.Heads, c.KVHeads, c.HeadDim, opts)
		}
		start += n
	}
	out := l.o.apply(att, rows)
	l.finish(h, out, rows)
}

// finish adds the attention output out to h and runs the MLP half of the
// block (post-attention norm, residuals, MLP, post-MLP norm).
func (l *Layer) finish(h, out []float32, seq int) {
	if l.postAttnNorm != nil {
		l.postAttnNorm.apply(out)
	}
	if l.cfg.ParallelResidual {
		// GPT-NeoX: h + attn(ln1(h)) + mlp(ln2(h)), both from the block input.
		m := append([]float32(nil), h...)
		l.preMLPNorm.apply(m)
		addInto(h, out)
		addInto(h, l.mlp.apply(m, seq))
		return
	}
	addInto(h, out)
	m := h
	if l.preMLPNorm != nil {
		m = append([]float32(nil), h...)
		l.preMLPNorm.apply(m)
	}
	mo := l.mlp.apply(m, seq)
	if l.postMLPNorm != nil {
		l.postMLPNorm.apply(mo)
	}
	addInto(h, mo)
}

// Queries returns the block's post-RoPE queries of the sequences of lengths
// seqLens held in h, without running the rest of it: all calibration needs
// from the last layer.
func (l *Layer) Queries(h []float32, seqLens []int) []float32 {
	x := h
	if l.attnNorm != nil {
		x = append([]float32(nil), h...)
		l.attnNorm.apply(x)
	}
	q, _, _ := l.project(x, seqLens, 0)
	return q
}

// project returns post-norm, post-RoPE queries and keys, and values, for
// the sequences of lengths seqLens held in x, each at positions pos0, pos0+1...
func (l *Layer) project(x []float32, seqLens []int, pos0 int) (q, k, v []float32) {
	c := l.cfg
	seq := len(x) / c.Hidden
	if l.qkvPerHead != nil {
		q, k, v = l.splitPerHead(l.qkvPerHead.apply(x, seq), seq)
	} else {
		q, k, v = l.q.apply(x, seq), l.k.apply(x, seq), l.v.apply(x, seq)
	}
	if l.qNorm != nil {
		// Per head or over the whole projection: the norm's width decides.
		l.qNorm.apply(q)
		l.kNorm.apply(k)
	}
	qw, kw := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	start := 0
	var cos, sin []float32
	for i, n := range seqLens {
		if i == 0 || n != seqLens[i-1] { // sequences usually share a length
			cos, sin = l.rope.table(pos0, pos0+n)
		}
		if l.PreRoPE != nil {
			l.PreRoPE(l.Index, q[start*qw:(start+n)*qw])
		}
		l.rope.apply(q[start*qw:(start+n)*qw], n, c.Heads, c.HeadDim, cos, sin)
		l.rope.apply(k[start*kw:(start+n)*kw], n, c.KVHeads, c.HeadDim, cos, sin)
		start += n
	}
	return q, k, v
}

// splitPerHead unpacks GPT-NeoX's fused projection, whose output per token is
// heads blocks of [q(headDim) k(headDim) v(headDim)].
func (l *Layer) splitPerHead(qkv []float32, seq int) (q, k, v []float32) {
	c := l.cfg
	d := c.HeadDim
	q = make([]float32, seq*c.Heads*d)
	k = make([]float32, seq*c.Heads*d)
	v = make([]float32, seq*c.Heads*d)
	for p := 0; p < seq; p++ {
		for h := 0; h < c.Heads; h++ {
			src := qkv[(p*c.Heads+h)*3*d:]
			dst := (p*c.Heads + h) * d
			copy(q[dst:dst+d], src[:d])
			copy(k[dst:dst+d], src[d:2*d])
			copy(v[dst:dst+d], src[2*d:3*d])
		}
	}
	return q, k, v
}
