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

	rope   *rope // nil on NoPE layers
	window int
	scale  float64
	// qScaleBeta > 0: post-RoPE queries are scaled by position
	// (llama4QueryScale), with qScaleOrig the rope's original context.
	qScaleBeta float64
	qScaleOrig int
	sinks      []float32 // per query head (gpt-oss), or nil

	chunk                int     // chunked attention (Llama 4), 0 for none
	l2                   *norm   // L2 norm of q and k after RoPE (Llama 4)
	tempScale, tempFloor float64 // query temperature on NoPE layers (Llama 4)

	// delta, when set, replaces attention (a linear-attention layer: no
	// queries, keys or cache); gated attention multiplies its output by
	// sigmoid of a second half of q_proj (hybrid.go).
	delta *deltaNet
	gated bool

	// Gemma 4 (gemma4.go): a weightless RMSNorm on the values; values taken
	// from the raw key projection; keys and values read from (readKV) or
	// kept for (storeKV) the layers sharing this cache; the per-layer
	// embedding branch; the output scale (0: none).
	vNorm, kEqV     bool
	readKV, storeKV *sharedKV
	kvOff           int // rows of readKV consumed in this Forward
	ple             *pleBlock
	scalar          float32

	// Tokens, for families with per-layer embeddings (Gemma 4), are the
	// token ids of the rows Forward receives, in order.
	Tokens []int

	mlp mlp // nil when only the queries are needed (last calibration layer)

	// Stop, when set, is checked between chunks of Forward and, within a
	// chunk, before each sequence's attention and before the MLP: once it
	// returns true, Forward returns early and leaves h undefined (a run that
	// was interrupted). The longest stretch between checks is one chunk's
	// MLP.
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
	if l.storeKV != nil {
		l.storeKV.k, l.storeKV.v = l.storeKV.k[:0], l.storeKV.v[:0]
	}
	l.kvOff = 0
	rowOff := 0
	for first := 0; first < len(seqLens); {
		if l.stopped() {
			return
		}
		end, rows := first, 0
		for end < len(seqLens) && (end == first || rows+seqLens[end] <= maxChunkRows) {
			rows += seqLens[end]
			end++
		}
		l.forwardChunk(h[:rows*hidden], seqLens[first:end], first, capture, rowOff)
		h = h[rows*hidden:]
		rowOff += rows
		first = end
	}
}

// stopped reports whether Stop asks Forward to return.
func (l *Layer) stopped() bool { return l.Stop != nil && l.Stop() }

func (l *Layer) forwardChunk(h []float32, seqLens []int, first int, capture Capture, rowOff int) {
	c := l.cfg
	rows := len(h) / c.Hidden
	x := h
	if l.attnNorm != nil {
		x = append([]float32(nil), h...)
		l.attnNorm.apply(x)
	}
	if l.delta != nil {
		l.finish(h, l.delta.forward(x, seqLens), rows)
		return
	}
	q, k, v, gate := l.project(x, seqLens, 0)
	att := make([]float32, rows*c.Heads*c.HeadDim)
	qw, kw := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	if l.readKV != nil {
		k, v = l.readKV.k[l.kvOff*kw:(l.kvOff+rows)*kw], l.readKV.v[l.kvOff*kw:(l.kvOff+rows)*kw]
		l.kvOff += rows
	}
	if l.storeKV != nil {
		l.storeKV.k, l.storeKV.v = append(l.storeKV.k, k...), append(l.storeKV.v, v...)
	}
	start := 0
	for si, n := range seqLens {
		qs, ks, vs := q[start*qw:(start+n)*qw], k[start*kw:(start+n)*kw], v[start*kw:(start+n)*kw]
		if capture != nil {
			capture(l.Index, qs, ks)
		}
		if l.Values != nil {
			l.Values(l.Index, vs)
		}
		if l.stopped() { // the callbacks may have run long (eval's recall)
			return
		}
		opts := kernels.AttentionOpts{Scale: float32(l.scale), SoftCap: float32(c.AttnSoftcap), Window: l.window, Sinks: l.sinks}
		var until [][]int32
		if l.Lifetimes != nil {
			until = l.Lifetimes(l.Index, first+si, ks)
		}
		if until != nil {
			// A chunked layer (Llama 4) sees a key only within its chunk: its
			// lifetime ends at the chunk's end at the latest.
			if l.chunk > 0 {
				until = capToChunks(until, l.chunk)
			}
			kernels.AttentionLive(att[start*qw:(start+n)*qw], qs, ks, vs, n, c.Heads, c.KVHeads, c.HeadDim, opts, until)
		} else {
			attendChunked(l.chunk, n, qw, kw, att[start*qw:(start+n)*qw], qs, ks, vs, func(out, q, k, v []float32, n int) {
				kernels.Attention(out, q, k, v, n, c.Heads, c.KVHeads, c.HeadDim, opts)
			})
		}
		start += n
	}
	if l.stopped() {
		return
	}
	if gate != nil {
		applyGate(att, gate)
	}
	out := l.o.apply(att, rows)
	l.finish(h, out, rows)
	var tokens []int
	if l.ple != nil {
		tokens = l.Tokens[rowOff : rowOff+rows]
	}
	l.tail(h, tokens)
}

// tail runs what follows the MLP in Gemma 4: the per-layer embedding branch
// and the layer scalar.
func (l *Layer) tail(h []float32, tokens []int) {
	if l.ple != nil {
		l.ple.apply(h, tokens)
	}
	if l.scalar != 0 {
		for i := range h {
			h[i] *= l.scalar
		}
	}
}

// finish adds the attention output out to h and runs the MLP half of the
// block (post-attention norm, residuals, MLP, post-MLP norm).
func (l *Layer) finish(h, out []float32, seq int) {
	if l.postAttnNorm != nil {
		l.postAttnNorm.apply(out)
	}
	if l.cfg.ParallelResidual {
		// GPT-NeoX: h + attn(ln1(h)) + mlp(ln2(h)), both from the block
		// input; Cohere: one norm feeds both.
		m := append([]float32(nil), h...)
		if l.preMLPNorm != nil {
			l.preMLPNorm.apply(m)
		} else {
			l.attnNorm.apply(m)
		}
		addInto(h, out)
		addInto(h, l.mlp.apply(m, seq))
		return
	}
	l.addResidual(h, out)
	m := h
	if l.preMLPNorm != nil {
		m = append([]float32(nil), h...)
		l.preMLPNorm.apply(m)
	}
	mo := l.mlp.apply(m, seq)
	if l.postMLPNorm != nil {
		l.postMLPNorm.apply(mo)
	}
	l.addResidual(h, mo)
}

// Queries returns the block's post-RoPE queries of the sequences of lengths
// seqLens held in h, without running the rest of it: all calibration needs
// from the last layer. A linear-attention layer has none: nil.
func (l *Layer) Queries(h []float32, seqLens []int) []float32 {
	if !l.cfg.HasCache(l.Index) {
		return nil
	}
	x := h
	if l.attnNorm != nil {
		x = append([]float32(nil), h...)
		l.attnNorm.apply(x)
	}
	q, _, _, _ := l.project(x, seqLens, 0)
	return q
}

// project returns post-norm, post-RoPE queries and keys, and values, for
// the sequences of lengths seqLens held in x, each at positions pos0, pos0+1...
// and, for gated attention, the output gates (else nil).
func (l *Layer) project(x []float32, seqLens []int, pos0 int) (q, k, v, gate []float32) {
	c := l.cfg
	seq := len(x) / c.Hidden
	switch {
	case l.qkvPerHead != nil:
		q, k, v = l.splitPerHead(l.qkvPerHead.apply(x, seq), seq)
	case l.readKV != nil: // keys and values come from the cache's owner
		q = l.q.apply(x, seq)
	case l.kEqV:
		q, k = l.q.apply(x, seq), l.k.apply(x, seq)
		v = append([]float32(nil), k...)
	default:
		q, k, v = l.q.apply(x, seq), l.k.apply(x, seq), l.v.apply(x, seq)
	}
	if l.gated {
		q, gate = splitGate(q, seq, c.Heads, c.HeadDim)
	}
	if l.qNorm != nil {
		// Per head or over the whole projection: the norm's width decides.
		l.qNorm.apply(q)
		if k != nil {
			l.kNorm.apply(k)
		}
	}
	if l.vNorm && v != nil {
		weightlessRMSNorm(v, c.HeadDim, c.NormEps)
	}
	qw, kw := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	start := 0
	var cos, sin []float32
	for i, n := range seqLens {
		if l.rope != nil && (i == 0 || n != seqLens[i-1]) { // sequences usually share a length
			cos, sin = l.rope.table(pos0, pos0+n)
		}
		if l.PreRoPE != nil {
			l.PreRoPE(l.Index, q[start*qw:(start+n)*qw])
		}
		var ks []float32 // nil for a layer reading another's cache (Gemma 4)
		if k != nil {
			ks = k[start*kw : (start+n)*kw]
		}
		if l.rope != nil {
			l.rope.apply(q[start*qw:(start+n)*qw], n, c.Heads, c.HeadDim, cos, sin)
			if ks != nil {
				l.rope.apply(ks, n, c.KVHeads, c.HeadDim, cos, sin)
			}
		}
		if l.qScaleBeta > 0 {
			l.scaleQueries(q[start*qw:(start+n)*qw], pos0, qw)
		}
		l.afterRoPE(q[start*qw:(start+n)*qw], ks, n, pos0)
		start += n
	}
	return q, k, v, gate
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

// capToChunks returns lifetimes no longer than their keys' chunks: key j
// of a layer attending in chunks of size chunk is seen by the queries of
// its own chunk only.
func capToChunks(until [][]int32, chunk int) [][]int32 {
	out := make([][]int32, len(until))
	for g, u := range until {
		out[g] = make([]int32, len(u))
		for j, x := range u {
			out[g][j] = min(x, int32((j/chunk+1)*chunk))
		}
	}
	return out
}
