package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The driver follows the BLIS loop nest. For each block of nc columns and kc
// depth, the threads first pack that block of B together (each panel once),
// then share out work units — a block of mc rows of A times a run of B
// panels — dynamically, so a core slowed by other processes simply takes
// fewer units. Each unit packs its rows of A (to L2) and sweeps the B panels
// (each kc×nr panel stays in L1 while every A micro-panel passes over it).

type mode uint8

const (
	modeF32  mode = iota
	modeBF16      // inputs rounded to bf16, float32 accumulation
)

const (
	kcBlock = 256  // kernel steps per block: a 32-wide B panel is 32 KiB
	mcBlock = 336  // rows per A block: 336×256 floats ≈ 336 KiB, in L2
	ncMax   = 4096 // columns per shared B block: ≤ 4 MiB, in L3
	// serialFlops: below this many flops, goroutines cost more than they save.
	serialFlops = 1 << 22
)

// workspace is one goroutine's scratch: its packed A block, an edge tile and
// a column buffer for dtype conversion.
type workspace struct {
	abuf []float32
	tile []float32
	col  []float32
}

var workspaces = sync.Pool{New: func() any {
	return &workspace{
		abuf: make([]float32, (mcBlock+32)*kcBlock),
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
	kcb := kcBlock // k values per block
	if md == modeBF16 {
		lay = layoutEmu
		if ks.bf16 != nil {
			kern, lay, kcb = ks.bf16, layoutPair, 2*kcBlock
		}
	}

	threads := runtime.GOMAXPROCS(0)
	if 2*m*n*k < serialFlops {
		threads = 1
	}

	// Balanced blocks: as few as fit the caches, of equal size.
	njc := ceilDiv(n, ncMax)
	nc := ceilDiv(ceilDiv(n, njc), nr) * nr
	nic := ceilDiv(m, mcBlock)
	mc := ceilDiv(ceilDiv(m, nic), mr) * mr
	nic = ceilDiv(m, mc)

	maxDepth := panelDepth(kcb, lay)
	bp := getBuf(maxDepth * nc)
	bbuf := *bp
	defer bufPool.Put(bp)

	for jc := 0; jc < n; jc += nc {
		ncur := min(nc, n-jc)
		npanels := ceilDiv(ncur, nr)
		// Split the panels into runs so there are several units per thread
		// (for balance) while each run stays wide enough to amortize packing A.
		nsplit := 1
		if threads > 1 {
			nsplit = min(ceilDiv(4*threads, nic), max(1, npanels/8))
		}
		runLen := ceilDiv(npanels, nsplit)
		nsplit = ceilDiv(npanels, runLen)

		for pc := 0; pc < k; pc += kcb {
			kc := min(kcb, k-pc)
			kd := panelDepth(kc, lay)
			load := pc > 0
			parallelFor(threads, npanels, func(ws *workspace, jp int) {
				j := jc + jp*nr
				packB(bbuf[jp*kd*nr:], s, j, min(nr, n-j), nr, pc, kc, lay, ws.col)
			})
			parallelFor(threads, nic*nsplit, func(ws *workspace, u int) {
				ic := (u / nsplit) * mc
				mcur := min(mc, m-ic)
				for ir := 0; ir < mcur; ir += mr {
					packA(ws.abuf[ir*kd:], a, k, ic+ir, min(mr, mcur-ir), mr, pc, kc, lay)
				}
				p0 := (u % nsplit) * runLen
				p1 := min(p0+runLen, npanels)
				for jp := p0; jp < p1; jp++ {
					j := jc + jp*nr
					ncols := min(nr, n-j)
					b := &bbuf[jp*kd*nr]
					for ir := 0; ir < mcur; ir += mr {
						rows := min(mr, mcur-ir)
						ap := &ws.abuf[ir*kd]
						c := dst[(ic+ir)*n+j:]
						if rows == mr && ncols == nr {
							kern(kd, ap, b, &c[0], n, load)
							continue
						}
						// Edge tile: run the full tile into scratch and copy
						// back only the valid part.
						t := ws.tile[:mr*nr]
						if load {
							for i := 0; i < rows; i++ {
								copy(t[i*nr:i*nr+ncols], c[i*n:])
							}
						}
						kern(kd, ap, b, &t[0], nr, load)
						for i := 0; i < rows; i++ {
							copy(c[i*n:i*n+ncols], t[i*nr:])
						}
					}
				}
			})
		}
	}
}
