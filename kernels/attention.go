package kernels

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// AttentionOpts modifies the causal attention scores.
type AttentionOpts struct {
	Scale   float32 // multiply scores by this (usually 1/sqrt(headDim))
	SoftCap float32 // if > 0: score = SoftCap * tanh(score / SoftCap) (Gemma 2), applied after Scale
	Window  int     // if > 0: query i sees only keys j with i-Window < j <= i (sliding window); 0 = full causal
	// Sinks, when not nil, holds one logit per query head that joins every
	// softmax denominator of that head without a value (gpt-oss's learned
	// attention sinks): out = Σ e^(s_j) v_j / (Σ e^(s_j) + e^(sink)).
	Sinks []float32
}

// Target tile sizes of the flash loop: a block of about attnBQ queries meets
// chunks of about attnBK keys (rounded to the micro-kernel's tile), so the
// score panel (224×32 floats, 28 KiB), the query block and the key/value
// chunk stay in L1/L2 and the seq×seq score matrix never exists. Longer key
// chunks mean longer P·V kernel runs; on Zen 4 64×224 beat 64×112, 128×112
// and 96×168 by a few percent.
const (
	attnBQ = 64
	attnBK = 224
)

// The whole computation runs transposed, on the GEMM micro-kernels (mr×nr
// tiles, see microKernel):
//
//   - Sᵀ = K·Qᵀ: keys are the kernel's rows (A panels of mr keys × headDim,
//     packed once per call for every kv head) and queries its columns (B
//     panels of headDim × nr queries, packed once per work unit). The tiles
//     land directly in panels of nr queries: [key][query].
//   - Softmax runs down the columns of those panels: every vector lane is one
//     query, so the running max, the exponentials and the denominators are
//     plain lane-wise vector operations (softmaxStrip).
//   - Oᵀ += Vᵀ·Pᵀ: head-dimension rows are the kernel's rows (A panels of
//     seq × mr values of V, packed once per kv head), and the probability
//     panels just computed are its B panels, as they are. Oᵀ is only
//     transposed back when the block is written out.
//
// Work units are (head, query block) pairs, heaviest (latest) blocks first.

// attnScratch holds one unit's blocks; pooled because units are many.
type attnScratch struct {
	q, s, o []float32 // Q panels [bq/nr][d][nr], Pᵀ panels [bq/nr][bk][nr], Oᵀ panels [bq/nr][dpad][nr]
	m       []float32 // running max per query
	l       []float64 // running denominator per query
}

var attnPool = sync.Pool{New: func() any { return new(attnScratch) }}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func roundUp(a, b int) int { return ceilDiv(a, b) * b }

// attnPlan is what every unit of one call shares.
type attnPlan struct {
	out, q              []float32
	kp, vp              []float32 // packed K and V of every kv head
	seq, heads, kvHeads int
	d, dpad, seqPad     int
	mr, nr, bq, bk      int
	kern                microKernel
	vpanels             []vpanel // the A panels V is packed into
	strip               int      // lanes per softmaxStrip call
	opts                AttentionOpts
}

// vpanel is one A panel of V: head dimensions c0..c0+w-1 (zero beyond
// headDim) over all keys, at offset c0·seqPad of the kv head's packed V, run
// with kernel kern.
type vpanel struct {
	c0, w int
	kern  microKernel
}

// valuePanels splits d head dimensions into A panels of mr rows and, when
// the path has an 8-row kernel, 8 rows: whichever pads the fewest rows.
func valuePanels(d int, ks *kernelSet) []vpanel {
	n8 := 0
	if ks.f32x8 != nil {
		best := roundUp(d, ks.mr)
		for k := 1; k <= 3; k++ {
			rows := roundUp(max(d-8*k, 0), ks.mr) + 8*k
			if rows < best {
				best, n8 = rows, k
			}
		}
	}
	var ps []vpanel
	c := 0
	for ; c < d-8*n8; c += ks.mr {
		ps = append(ps, vpanel{c, ks.mr, ks.f32})
	}
	for ; c < d; c += 8 {
		ps = append(ps, vpanel{c, 8, ks.f32x8})
	}
	return ps
}

// Attention computes causal multi-head attention with grouped-query heads:
// q [seq][heads*headDim], k and v [seq][kvHeads*headDim] (token-major, as the
// projections produce them), out [seq][heads*headDim]. Query head h uses kv
// head h / (heads/kvHeads).
//
// It is flash-style: for each block of queries it walks the key chunks that
// are not fully masked, keeping a running max and denominator per query
// (online softmax) and rescaling the partial output when the max grows.
func Attention(out, q, k, v []float32, seq, heads, kvHeads, headDim int, opts AttentionOpts) {
	if seq == 0 || heads == 0 {
		return
	}
	if kvHeads <= 0 || heads%kvHeads != 0 {
		panic(fmt.Sprintf("kernels: %d heads not a multiple of %d kv heads", heads, kvHeads))
	}
	checkLen("q", len(q), seq*heads*headDim)
	checkLen("k", len(k), seq*kvHeads*headDim)
	checkLen("v", len(v), seq*kvHeads*headDim)
	checkLen("out", len(out), seq*heads*headDim)
	if opts.Sinks != nil {
		checkLen("sinks", len(opts.Sinks), heads)
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
		d: d, dpad: last.c0 + last.w, seqPad: roundUp(seq, ks.mr),
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

	// Pack K and V of every kv head once: each is read by heads/kvHeads
	// query heads and every query block.
	per := pl.seqPad * d // floats per kv head (K); V has dpad/mr panels of seqPad×mr
	kb := getBuf(per * kvHeads)
	defer bufPool.Put(kb)
	vb := getBuf(pl.seqPad * pl.dpad * kvHeads)
	defer bufPool.Put(vb)
	pl.kp, pl.vp = *kb, *vb
	parallelFor(threads, 2*kvHeads, func(_ *workspace, t int) {
		g := t / 2
		if t%2 == 0 {
			packKeys(pl.kp[g*per:(g+1)*per], k, &pl, g)
		} else {
			packValues(pl.vp[g*pl.seqPad*pl.dpad:(g+1)*pl.seqPad*pl.dpad], v, &pl, g)
		}
	})

	nqb := ceilDiv(seq, pl.bq)
	parallelFor(threads, heads*nqb, func(_ *workspace, t int) {
		// Later query blocks see more keys: hand them out first. The heads
		// of one block run next to each other, so the query heads sharing a
		// kv head find its panels in cache.
		qb := nqb - 1 - t/heads
		h := t % heads
		pl.block(h, qb*pl.bq)
	})
}

// packKeys packs the keys of kv head g as A panels: for each group of mr
// keys, d steps of mr values (key r of the group at step c is K[key][c]).
func packKeys(dst, k []float32, pl *attnPlan, g int) {
	mr, d, ldk := pl.mr, pl.d, pl.kvHeads*pl.d
	clear(dst[(pl.seq/mr)*mr*d:])
	for j := 0; j < pl.seq; j++ {
		src := k[j*ldk+g*d : j*ldk+g*d+d]
		p := dst[(j/mr)*mr*d+j%mr:]
		for c, x := range src {
			p[c*mr] = x
		}
	}
}

// packValues packs the values of kv head g as A panels over the keys (see
// vpanel): for each panel of w head dimensions, seqPad steps (one per key)
// of w values.
func packValues(dst, v []float32, pl *attnPlan, g int) {
	d, ldk := pl.d, pl.kvHeads*pl.d
	clear(dst)
	for _, p := range pl.vpanels {
		n := min(p.w, d-p.c0)
		panel := dst[p.c0*pl.seqPad:]
		for j := 0; j < pl.seq; j++ {
			copy(panel[j*p.w:j*p.w+n], v[j*ldk+g*d+p.c0:])
		}
	}
}

// block computes queries i0..i0+bq-1 of head h.
func (pl *attnPlan) block(h, i0 int) {
	mr, nr, d, dpad, bq, bk := pl.mr, pl.nr, pl.d, pl.dpad, pl.bq, pl.bk
	i1 := min(i0+bq, pl.seq)
	nqp := ceilDiv(i1-i0, nr)
	g := h / (pl.heads / pl.kvHeads)
	opts := pl.opts

	sc := attnPool.Get().(*attnScratch)
	defer attnPool.Put(sc)
	mx, den := pl.openBlock(sc, h, i0, i1)

	// A window as long as the sequence masks nothing; treating it (and any
	// longer one) as no window keeps it within the 32 bits the assembly
	// softmax compares.
	window := opts.Window
	if window <= 0 || window >= pl.seq {
		window = 1 << 30
	}
	jlo := max(0, i0-window+1)
	jlo -= jlo % mr
	kp := pl.kp[g*pl.seqPad*d:]
	vp := pl.vp[g*pl.seqPad*dpad:]
	kern := pl.kern
	for j0 := jlo; j0 < i1; j0 += bk {
		nkb := min(bk, roundUp(i1-j0, mr))
		for qp := 0; qp < nqp; qp++ {
			// Keys of the chunk that some query of the panel can see.
			q0, q1 := i0+qp*nr, min(i0+(qp+1)*nr, i1)
			if q1 <= j0 {
				continue
			}
			nk := min(nkb, roundUp(q1-j0, mr))
			// Masking is needed when some key is later than the panel's
			// first query or leaves the window of its last one.
			masked := j0+nk-1 > q0 || j0 <= q1-1-window
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
			for l := 0; l < nr; l += pl.strip {
				q := qp*nr + l
				softmaxStrip(s[l:], nk, nr, pl.strip, mx[q:], den[q:], sc.o[qp*dpad*nr+l:], dpad,
					scale, i0+q, j0, window, masked)
			}
			o := sc.o[qp*dpad*nr:]
			for _, p := range pl.vpanels {
				p.kern(nk, &vp[p.c0*pl.seqPad+j0*p.w], &s[0], &o[p.c0*nr], nr, true)
			}
		}
	}

	pl.closeBlock(sc, h, i0, i1, mx, den)
}

// openBlock readies sc for queries i0..i1-1 of head h: the running maxima
// at -Inf, the denominators and partial outputs at 0, and the queries
// packed as B panels (d steps of nr queries).
func (pl *attnPlan) openBlock(sc *attnScratch, h, i0, i1 int) (mx []float32, den []float64) {
	nr, d := pl.nr, pl.d
	nqp := ceilDiv(i1-i0, nr)
	ldq := pl.heads * d
	sc.q = grow(sc.q, nqp*d*nr)
	sc.s = grow(sc.s, nqp*pl.bk*nr)
	sc.o = grow(sc.o, nqp*pl.dpad*nr)
	sc.m = grow(sc.m, nqp*nr)
	if cap(sc.l) < nqp*nr {
		sc.l = make([]float64, nqp*nr)
	}
	mx, den = sc.m[:nqp*nr], sc.l[:nqp*nr]
	for i := range mx {
		mx[i], den[i] = float32(math.Inf(-1)), 0
	}
	clear(sc.o)
	if i1-i0 < nqp*nr {
		clear(sc.q)
	}
	for qp := 0; qp < nqp; qp++ {
		q0 := i0 + qp*nr
		transposeF32(sc.q[qp*d*nr:], nr, pl.q[q0*ldq+h*d:], ldq, min(nr, i1-q0), d)
	}
	return mx, den
}

// closeBlock divides the columns of Oᵀ by their denominators (with
// gpt-oss's sink logit, one more term in every denominator) and writes
// them out as rows of queries i0..i1-1 of head h.
func (pl *attnPlan) closeBlock(sc *attnScratch, h, i0, i1 int, mx []float32, den []float64) {
	nr, d, dpad := pl.nr, pl.d, pl.dpad
	ldq := pl.heads * d
	inv := mx // the running maxima are no longer needed
	for i := range inv {
		d := den[i]
		if pl.opts.Sinks != nil {
			d += math.Exp(float64(pl.opts.Sinks[h]) - float64(mx[i]))
		}
		inv[i] = float32(1 / d)
	}
	for qp := 0; qp < ceilDiv(i1-i0, nr); qp++ {
		q0 := i0 + qp*nr
		o := sc.o[qp*dpad*nr : qp*dpad*nr+d*nr]
		iv := inv[qp*nr : qp*nr+nr]
		for c := 0; c < d; c++ {
			row := o[c*nr : c*nr+nr]
			for x := range row {
				row[x] *= iv[x]
			}
		}
		transposeF32(pl.out[q0*ldq+h*d:], ldq, o, nr, d, min(nr, i1-q0))
	}
}

// softCap applies score = c·tanh(score·scale/c) to a block of scores.
func softCap(s []float32, scale, c float32) {
	for j, x := range s {
		s[j] = c * float32(math.Tanh(float64(x*scale/c)))
	}
}

// softmaxStripGo is one online-softmax step for w queries (lanes) over nk
// keys (rows of s, row stride ld): scores are scaled, masked (when masked:
// query qi0+lane sees key kj0+row iff 0 ≤ query−key < window) to −Inf, the
// running max m grows to cover them, the scores become e^(score−m), the
// running denominator l and the partial output o (dpad rows, stride ld) are
// rescaled by e^(mOld−m) and l gains the block's sum.
func softmaxStripGo(s []float32, nk, ld, w int, m []float32, l []float64, o []float32, dpad int,
	scale float32, qi0, kj0, window int, masked bool) {
	negInf := float32(math.Inf(-1))
	for lane := 0; lane < w; lane++ {
		qi := qi0 + lane
		mOld := m[lane]
		mNew := mOld
		for r := 0; r < nk; r++ {
			x := s[r*ld+lane] * scale
			if masked {
				if dq := qi - (kj0 + r); dq < 0 || dq >= window {
					x = negInf
				}
			}
			s[r*ld+lane] = x
			mNew = max(mNew, x)
		}
		var sum float32
		for r := 0; r < nk; r++ {
			p := expNeg(s[r*ld+lane] - mNew)
			s[r*ld+lane] = p
			sum += p
		}
		corr := expNeg(mOld - mNew)
		m[lane] = mNew
		l[lane] = l[lane]*float64(corr) + float64(sum)
		if corr != 1 {
			for r := 0; r < dpad; r++ {
				o[r*ld+lane] *= corr
			}
		}
	}
}
