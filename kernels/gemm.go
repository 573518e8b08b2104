package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The driver follows the BLIS loop nest. For each block of up to mbMax rows,
// nc columns and kc depth, the threads first pack that block of A and of B
// together (every micro-panel exactly once, taken from a shared counter), then
// share out work units — mc rows of A times a run of B panels — dynamically,
// so a core slowed by other processes simply takes fewer units. A unit's A
// rows (mc×kc) stay in L2 while it sweeps its B panels; each kc×nr B panel
// stays in L1 while every A micro-panel of the unit passes over it.

type mode uint8

const (
	modeF32  mode = iota
	modeBF16      // inputs rounded to bf16, float32 accumulation
)

const (
	// kcBlock: kernel steps per block. Each block reloads and restores every
	// C tile, so depth pays more than keeping the B panel in L1 (measured on
	// Zen 4: 1024 beats 256 by ~15%); a 32-wide B panel is then 128 KiB of L2.
	kcBlock = 1024
	mcBlock = 112  // rows per unit: 112×1024 floats = 448 KiB of packed A, in L2
	mbMax   = 4096 // rows of A packed at once (≤ 4 MiB)
	runMin  = 8    // fewest B panels per unit: C tiles are reused across A panels
	ncMax   = 4096 // columns per shared B block: ≤ 4 MiB, in L3
	// serialFlops: below this many flops, goroutines cost more than they save.
	serialFlops = 1 << 22
)

// workspace is one goroutine's scratch: an edge tile and a column buffer for
// dtype conversion.
type workspace struct {
	tile []float32
	col  []float32
}

var workspaces = sync.Pool{New: func() any {
	return &workspace{
		tile: make([]float32, 64*64),
		col:  make([]float32, 2*kcBlock),
	}
}}

var bufPool sync.Pool // *[]float32 packed B blocks

func getBuf(n int) *[]float32 {
	if p, ok := bufPool.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]float32, n)
	return &b
}

// parallelFor runs fn(ws, i) for i in [0, count) on up to threads goroutines
// that take indices from a shared counter.
func parallelFor(threads, count int, fn func(ws *workspace, i int)) {
	if threads > count {
		threads = count
	}
	if threads <= 1 {
		ws := workspaces.Get().(*workspace)
		for i := 0; i < count; i++ {
			fn(ws, i)
		}
		workspaces.Put(ws)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(threads)
	for t := 0; t < threads; t++ {
		go func() {
			defer wg.Done()
			ws := workspaces.Get().(*workspace)
			for {
				i := int(next.Add(1)) - 1
				if i >= count {
					break
				}
				fn(ws, i)
			}
			workspaces.Put(ws)
		}()
	}
	wg.Wait()
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// gemm computes dst[m][n] = a[m][k] · B with B described by s.
func gemm(dst, a []float32, m int, s *bsrc, md mode) {
	k, n := s.k, s.n
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(dst[:m*n])
		return
	}
	ks := current()
	mr, nr := ks.mr, ks.nr
	kern := ks.f32
	lay := layoutF32
	kcs := kcBlock
	if ks.kc > 0 {
		kcs = ks.kc
	}
	kcb := kcs // k values per block
	if md == modeBF16 {
		lay = layoutEmu
		if ks.bf16 != nil {
			kern, lay, kcb = ks.bf16, layoutPair, 2*kcs
		}
	}

	threads := runtime.GOMAXPROCS(0)
	if 2*m*n*k < serialFlops {
		threads = 1
	}

	// Balanced blocks: as few as fit the caches, of equal size.
	njc := ceilDiv(n, ncMax)
	nc := ceilDiv(ceilDiv(n, njc), nr) * nr
	mb := min(m, mbMax)
	mbPad := ceilDiv(mb, mr) * mr
	nic := ceilDiv(mb, mcBlock)
	mc := ceilDiv(ceilDiv(mb, nic), mr) * mr

	maxDepth := panelDepth(kcb, lay)
	bp := getBuf(maxDepth * nc)
	defer bufPool.Put(bp)
	ap := getBuf(maxDepth * mbPad)
	defer bufPool.Put(ap)
	bbuf, abuf := *bp, *ap

	for ib := 0; ib < m; ib += mb {
		mcur := min(mb, m-ib)
		nap := ceilDiv(mcur, mr)
		nic := ceilDiv(mcur, mc)
		for jc := 0; jc < n; jc += nc {
			ncur := min(nc, n-jc)
			nbp := ceilDiv(ncur, nr)
			// Split the panels into runs so there are several units per
			// thread, for balance.
			nsplit := 1
			if threads > 1 {
				nsplit = max(1, min(ceilDiv(8*threads, nic), nbp/runMin))
			}
			runLen := ceilDiv(nbp, nsplit)
			nsplit = ceilDiv(nbp, runLen)

			for pc := 0; pc < k; pc += kcb {
				kc := min(kcb, k-pc)
				kd := panelDepth(kc, lay)
				load := pc > 0
				parallelFor(threads, nap+nbp, func(ws *workspace, t int) {
					if t < nap {
						i := ib + t*mr
						packA(abuf[t*kd*mr:], a, k, i, min(mr, ib+mcur-i), mr, pc, kc, lay)
						return
					}
					t -= nap
					j := jc + t*nr
					packB(bbuf[t*kd*nr:], s, j, min(nr, n-j), nr, pc, kc, lay, ws.col)
				})
				parallelFor(threads, nic*nsplit, func(ws *workspace, u int) {
					i0 := (u / nsplit) * mc
					i1 := min(i0+mc, mcur)
					p0 := (u % nsplit) * runLen
					p1 := min(p0+runLen, nbp)
					for jp := p0; jp < p1; jp++ {
						j := jc + jp*nr
						ncols := min(nr, n-j)
						b := &bbuf[jp*kd*nr]
						for ir := i0; ir < i1; ir += mr {
							rows := min(mr, i1-ir)
							a := &abuf[ir*kd]
							c := dst[(ib+ir)*n+j:]
							if rows == mr && ncols == nr {
								kern(kd, a, b, &c[0], n, load)
								continue
							}
							// Edge tile: run the full tile into scratch and
							// copy back only the valid part.
							t := ws.tile[:mr*nr]
							if load {
								for i := 0; i < rows; i++ {
									copy(t[i*nr:i*nr+ncols], c[i*n:])
								}
							}
							kern(kd, a, b, &t[0], nr, load)
							for i := 0; i < rows; i++ {
								copy(c[i*n:i*n+ncols], t[i*nr:])
							}
						}
					}
				})
			}
		}
	}
}
