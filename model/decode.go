package model

import "math"

// HeadCache is one key/value head's cache: post-RoPE keys, values and the
// position of each cached token. Entries may be removed (evicted) between
// steps, in any pattern: each head keeps its own set of tokens.
type HeadCache struct {
	Keys, Values [][]float32
	Pos          []int
}

// Remove deletes entry i.
func (h *HeadCache) Remove(i int) {
	h.Keys = append(h.Keys[:i], h.Keys[i+1:]...)
	h.Values = append(h.Values[:i], h.Values[i+1:]...)
	h.Pos = append(h.Pos[:i], h.Pos[i+1:]...)
}

// KVCache is the cache of every layer: Layers[l][g] for kv head g.
type KVCache struct {
	Layers [][]HeadCache
}

// Decoder runs a model one token at a time against a KV cache that the caller
// may prune between steps (for evaluating cache compression). It holds every
// layer's weights: meant for evaluation on models that fit in memory.
type Decoder struct {
	m      *Model
	emb    *Embedding
	layers []*Layer
}

// NewDecoder loads every layer.
func (m *Model) NewDecoder() (*Decoder, error) {
	emb, err := m.Embedding()
	if err != nil {
		return nil, err
	}
	d := &Decoder{m: m, emb: emb}
	for l := 0; l < m.Config.Layers; l++ {
		layer, err := m.Layer(l, true)
		if err != nil {
			return nil, err
		}
		d.layers = append(d.layers, layer)
	}
	return d, nil
}

// NewCache returns an empty cache for the model.
func (d *Decoder) NewCache() *KVCache {
	c := d.m.Config
	kv := &KVCache{Layers: make([][]HeadCache, c.Layers)}
	for l := range kv.Layers {
		kv.Layers[l] = make([]HeadCache, c.KVHeads)
	}
	return kv
}

// Step runs token id at position pos: every layer appends the token's key and
// value to its cache, then attends over what the cache holds. It returns the
// logits [vocab].
func (d *Decoder) Step(id, pos int, cache *KVCache) ([]float32, error) {
	h, err := d.emb.Embed([]int{id})
	if err != nil {
		return nil, err
	}
	for l, layer := range d.layers {
		layer.step(h, pos, cache.Layers[l])
	}
	return d.m.Logits(h, 1)
}

// step is Forward for one token at position pos against cache.
func (l *Layer) step(h []float32, pos int, cache []HeadCache) {
	c := l.cfg
	x := h
	if l.attnNorm != nil {
		x = append([]float32(nil), h...)
		l.attnNorm.apply(x)
	}
	q, k, v := l.project(x, []int{1}, pos)
	d := c.HeadDim
	for g := range cache {
		hc := &cache[g]
		hc.Keys = append(hc.Keys, append([]float32(nil), k[g*d:(g+1)*d]...))
		hc.Values = append(hc.Values, append([]float32(nil), v[g*d:(g+1)*d]...))
		hc.Pos = append(hc.Pos, pos)
	}
	att := make([]float32, c.Heads*d)
	rep := c.Heads / c.KVHeads
	lo := firstVisible(pos, l.window, l.chunk)
	for hd := 0; hd < c.Heads; hd++ {
		hc := &cache[hd/rep]
		qh := q[hd*d : (hd+1)*d]
		scores := make([]float64, len(hc.Keys))
		maxS := math.Inf(-1)
		for j, kj := range hc.Keys {
			if hc.Pos[j] < lo { // outside the sliding window or the chunk
				scores[j] = math.Inf(-1)
				continue
			}
			var s float32
			for t := range qh {
				s += qh[t] * kj[t]
			}
			s *= float32(l.scale)
			if c.AttnSoftcap > 0 {
				s = float32(c.AttnSoftcap * math.Tanh(float64(s)/c.AttnSoftcap))
			}
			scores[j] = float64(s)
			maxS = math.Max(maxS, scores[j])
		}
		var sum float64
		if l.sinks != nil { // gpt-oss: one more logit, without a value
			maxS = math.Max(maxS, float64(l.sinks[hd]))
			sum = math.Exp(float64(l.sinks[hd]) - maxS)
		}
		for j := range scores {
			scores[j] = math.Exp(scores[j] - maxS)
			sum += scores[j]
		}
		o := att[hd*d : (hd+1)*d]
		for j, vj := range hc.Values {
			p := float32(scores[j] / sum)
			for t := range o {
				o[t] += p * vj[t]
			}
		}
	}
	out := l.o.apply(att, 1)
	l.finish(h, out, 1)
}

// AttentionScale returns the factor attention scores are multiplied by
// (1/sqrt(head_dim), or the family's rule).
func (m *Model) AttentionScale() float64 {
	if m.Config.AttentionMultiplier != 0 {
		return m.Config.AttentionMultiplier
	}
	if m.fam.attnScale != nil {
		return m.fam.attnScale(m.Config)
	}
	return 1 / math.Sqrt(float64(m.Config.HeadDim))
}
