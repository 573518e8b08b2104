package kernels

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// AttentionLive is Attention where every key has a lifetime: key j of kv
// head g is seen by queries i with j ≤ i < until[g][j] only (and within
// opts.Window), as a KV cache that evicts key j after step until[g][j]-1
// leaves it. Every until[g][j] must exceed j: a key is seen at least by the
// query of its own token. This is what streaming generation with a capped,
// evicting cache computes, in one pass over the sequence.
//
// For each block of queries, the keys some query of the block sees are
// gathered and packed (a capped cache leaves a few hundred of them, however
// long the sequence), then the flash loop of Attention runs over them with
// the lifetimes as its mask: keys that no query of a block sees cost
// nothing.
func AttentionLive(out, q, k, v []float32, seq, heads, kvHeads, headDim int, opts AttentionOpts, until [][]int32) {
	if seq == 0 || heads == 0 {
		return
	}
	if kvHeads <= 0 || heads%kvHeads != 0 {
		panic("kernels: heads not a multiple of kv heads")
	}
	checkLen("q", len(q), seq*heads*headDim)
	checkLen("k", len(k), seq*kvHeads*headDim)
	checkLen("v", len(v), seq*kvHeads*headDim)
	checkLen("out", len(out), seq*heads*headDim)
	if opts.Sinks != nil {
		checkLen("sinks", len(opts.Sinks), heads)
	}
	if len(until) != kvHeads {
		panic("kernels: AttentionLive needs one lifetime slice per kv head")
	}
	for g, u := range until {
		checkLen("until", len(u), seq)
		for j, x := range u[:seq] {
			if int(x) <= j {
				panic(fmt.Sprintf("kernels: key %d of kv head %d dies at %d, before its own query", j, g, x))
			}
		}
	}
	if headDim == 0 {
		return
	}
	ks := current()
	d := headDim
	vps := valuePanels(d, ks)
	last := vps[len(vps)-1]
	pl := attnPlan{
		out: out, q: q, seq: seq, heads: heads, kvHeads: kvHeads, vpanels: vps,
		d: d, dpad: last.c0 + last.w,
		mr: ks.mr, nr: ks.nr, bq: roundUp(attnBQ, ks.nr), bk: roundUp(attnBK, ks.mr),
		kern: ks.f32, strip: ks.nr, opts: opts,
	}
	if ks.path == AVX512 {
		pl.strip = 16
	}
	threads := runtime.GOMAXPROCS(0)
	if 2*seq*seq*d*heads < serialFlops {
		threads = 1
	}
	nqb := ceilDiv(seq, pl.bq)
	parallelFor(threads, heads*nqb, func(_ *workspace, t int) {
		qb := nqb - 1 - t/heads
		h := t % heads
		g := h / (heads / kvHeads)
		pl.liveBlock(h, qb*pl.bq, k, v, until[g])
	})
}

// liveScratch holds one unit's gathered keys.
type liveScratch struct {
	pos    []int32   // positions of the gathered keys, ascending
	kp, vp []float32 // their keys and values packed as in Attention
}

var livePool = sync.Pool{New: func() any { return new(liveScratch) }}

// liveBlock computes queries i0..i0+bq-1 of head h against the keys of its
// kv head (k and v row-major, until their lifetimes) that the block sees.
func (pl *attnPlan) liveBlock(h, i0 int, k, v []float32, until []int32) {
	mr, nr, d, dpad, bq, bk := pl.mr, pl.nr, pl.d, pl.dpad, pl.bq, pl.bk
	i1 := min(i0+bq, pl.seq)
	nqp := ceilDiv(i1-i0, nr)
	g := h / (pl.heads / pl.kvHeads)
	ldk := pl.kvHeads * d
	opts := pl.opts
	window := opts.Window
	if window <= 0 {
		window = 1 << 30
	}

	// Gather: keys before the block's end that outlive its first query and
	// are inside the window of its last.
	ls := livePool.Get().(*liveScratch)
	defer livePool.Put(ls)
	pos := ls.pos[:0]
	for j := max(0, i0-window+1); j < i1; j++ {
		if int(until[j]) > i0 {
			pos = append(pos, int32(j))
		}
	}
	ls.pos = pos
	nl := len(pos)
	nlp := roundUp(nl, mr)
	ls.kp = grow(ls.kp, nlp*d)
	ls.vp = grow(ls.vp, nlp*dpad)
	kp, vp := ls.kp, ls.vp
	clear(kp[(nl/mr)*mr*d:])
	for idx, j := range pos {
		src := k[int(j)*ldk+g*d : int(j)*ldk+g*d+d]
		p := kp[(idx/mr)*mr*d+idx%mr:]
		for c, x := range src {
			p[c*mr] = x
		}
	}
	clear(vp)
	for _, p := range pl.vpanels {
		n := min(p.w, d-p.c0)
		panel := vp[p.c0*nlp:]
		for idx, j := range pos {
			copy(panel[idx*p.w:idx*p.w+n], v[int(j)*ldk+g*d+p.c0:])
		}
	}

	sc := attnPool.Get().(*attnScratch)
	defer attnPool.Put(sc)
	mx, den := pl.openBlock(sc, h, i0, i1)

	negInf := float32(math.Inf(-1))
	kern := pl.kern
	for j0 := 0; j0 < nl; j0 += bk {
		nkb := min(bk, nlp-j0)
		for qp := 0; qp < nqp; qp++ {
			q0, q1 := i0+qp*nr, min(i0+(qp+1)*nr, i1)
			// The chunk's keys up to the panel's last query (pos ascends).
			nv := 0
			for nv < min(nkb, nl-j0) && int(pos[j0+nv]) < q1 {
				nv++
			}
			if nv == 0 {
				continue
			}
			nk := roundUp(nv, mr)
			// No mask when every query of the panel sees every key.
			masked := nk != nv || int(pos[j0+nv-1]) > q0 || int(pos[j0]) <= q1-1-window
			for r := 0; r < nv && !masked; r++ {
				masked = int(until[pos[j0+r]]) < q1
			}
			b := &sc.q[qp*d*nr]
			s := sc.s[qp*bk*nr:]
			for r := 0; r < nk; r += mr {
				kern(d, &kp[(j0+r)*d], b, &s[r*nr], nr, false)
			}
			if opts.SoftCap > 0 {
				softCap(s[:nk*nr], opts.Scale, opts.SoftCap)
			}
			scale := opts.Scale
			if opts.SoftCap > 0 {
				scale = 1
			}
			if masked {
				for r := 0; r < nk; r++ {
					row := s[r*nr : r*nr+nr]
					if r >= nv {
						for x := range row {
							row[x] = negInf
						}
						continue
					}
					j := int(pos[j0+r])
					u := int(until[j])
					for x := range row {
						if qi := q0 + x; qi < j || qi >= u || qi-j >= window {
							row[x] = negInf
						}
					}
				}
			}
			for l := 0; l < nr; l += pl.strip {
				q := qp*nr + l
				softmaxStrip(s[l:], nk, nr, pl.strip, mx[q:], den[q:], sc.o[qp*dpad*nr+l:], dpad,
					scale, i0+q, 0, window, false)
			}
			o := sc.o[qp*dpad*nr:]
			for _, p := range pl.vpanels {
				p.kern(nk, &vp[p.c0*nlp+j0*p.w], &s[0], &o[p.c0*nr], nr, true)
			}
		}
	}

	pl.closeBlock(sc, h, i0, i1, mx, den)
}
