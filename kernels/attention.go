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
}

// Tile sizes of the flash loop: a block of attnBQ queries meets blocks of
// attnBK keys; the score tile (64×64 floats, 16 KiB) and the query, key and
// value blocks stay in L1/L2 and the seq×seq score matrix never exists.
const (
	attnBQ = 64
	attnBK = 64
)

// attnScratch holds one task's blocks; pooled because tasks are many.
type attnScratch struct {
	q, s, pv, o []float32
	m, l        []float64
}

var attnPool = sync.Pool{New: func() any { return new(attnScratch) }}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// Attention computes causal multi-head attention with grouped-query heads:
// q [seq][heads*headDim], k and v [seq][kvHeads*headDim] (token-major, as the
// projections produce them), out [seq][heads*headDim]. Query head h uses kv
// head h / (heads/kvHeads).
//
// It is flash-style: for each block of queries it walks the key blocks that
// are not fully masked, keeping a running max and denominator per query
// (online softmax) and rescaling the partial output when the max grows. The
// score and P·V products run on the packed GEMM kernels. Work units are
// (head, query block) pairs, taken by GOMAXPROCS goroutines, heaviest first.
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
	nqb := (seq + attnBQ - 1) / attnBQ
	threads := runtime.GOMAXPROCS(0)
	parallelFor(threads, heads*nqb, func(_ *workspace, t int) {
		// Later query blocks see more keys: hand them out first.
		qb := nqb - 1 - t/heads
		h := t % heads
		attnBlock(out, q, k, v, seq, heads, kvHeads, headDim, opts, h, qb*attnBQ)
	})
}

// attnBlock computes queries i0..i0+attnBQ-1 of head h.
func attnBlock(out, q, k, v []float32, seq, heads, kvHeads, d int, opts AttentionOpts, h, i0 int) {
	i1 := min(i0+attnBQ, seq)
	nq := i1 - i0
	g := h / (heads / kvHeads)
	ldq, ldk := heads*d, kvHeads*d

	sc := attnPool.Get().(*attnScratch)
	defer attnPool.Put(sc)
	sc.q = grow(sc.q, nq*d)
	sc.s = grow(sc.s, nq*attnBK)
	sc.pv = grow(sc.pv, nq*d)
	sc.o = grow(sc.o, nq*d)
	clear(sc.o)
	if cap(sc.m) < nq {
		sc.m, sc.l = make([]float64, nq), make([]float64, nq)
	}
	mx, den := sc.m[:nq], sc.l[:nq]
	for i := range mx {
		mx[i], den[i] = math.Inf(-1), 0
	}
	for i := 0; i < nq; i++ {
		copy(sc.q[i*d:i*d+d], q[(i0+i)*ldq+h*d:])
	}

	// Keys that any query of the block can see.
	jlo := 0
	if opts.Window > 0 {
		jlo = max(0, i0-opts.Window+1)
	}
	jhi := i1 // exclusive
	softcap := opts.SoftCap
	for j0 := jlo; j0 < jhi; j0 += attnBK {
		j1 := min(j0+attnBK, jhi)
		nk := j1 - j0
		// K and V rows of kv head g are read in place (row stride ldk).
		kb := bsrc{kind: srcF32T, f: k[j0*ldk+g*d:], k: d, n: nk, ld: ldk}
		vb := bsrc{kind: srcF32N, f: v[j0*ldk+g*d:], k: nk, n: d, ld: ldk}
		s := sc.s[:nq*nk]
		gemm(s, sc.q, nq, &kb, modeF32)
		for i := 0; i < nq; i++ {
			qi := i0 + i
			row := s[i*nk : i*nk+nk]
			// Visible keys of query qi within this block: [lo, hi).
			lo, hi := 0, min(nk, qi-j0+1)
			if opts.Window > 0 {
				lo = max(0, qi-opts.Window+1-j0)
			}
			rmax := float32(math.Inf(-1))
			for j := lo; j < hi; j++ {
				x := row[j] * opts.Scale
				if softcap > 0 {
					x = softcap * float32(math.Tanh(float64(x/softcap)))
				}
				row[j] = x
				rmax = max(rmax, x)
			}
			if hi <= lo {
				clear(row)
				continue
			}
			mNew := max(mx[i], float64(rmax))
			corr := math.Exp(mx[i] - mNew) // 0 on the first visible block
			mx[i] = mNew
			m32 := float32(mNew)
			clear(row[:lo])
			clear(row[hi:])
			sum := expSubSum(row[lo:hi], m32)
			den[i] = den[i]*corr + float64(sum)
			if corr != 1 {
				o := sc.o[i*d : i*d+d]
				c := float32(corr)
				for x := range o {
					o[x] *= c
				}
			}
		}
		gemm(sc.pv, s, nq, &vb, modeF32)
		for x, y := range sc.pv {
			sc.o[x] += y
		}
	}
	for i := 0; i < nq; i++ {
		inv := float32(1 / den[i])
		dst := out[(i0+i)*ldq+h*d : (i0+i)*ldq+h*d+d]
		for x, y := range sc.o[i*d : i*d+d] {
			dst[x] = y * inv
		}
	}
}
