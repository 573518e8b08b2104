package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// guarded hands out byte slices placed against an inaccessible page, so that
// an assembly routine reading or writing one byte past (atEnd) or before
// (!atEnd) its operand faults instead of reading a neighbour in the heap.
type guarded struct {
	t    *testing.T
	maps [][]byte
}

func (g *guarded) bytes(n int, atEnd bool) []byte {
	g.t.Helper()
	page := syscall.Getpagesize()
	pages := (n+page-1)/page + 1
	mem, err := syscall.Mmap(-1, 0, pages*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		g.t.Fatal(err)
	}
	g.maps = append(g.maps, mem)
	if atEnd {
		if err := syscall.Mprotect(mem[(pages-1)*page:], syscall.PROT_NONE); err != nil {
			g.t.Fatal(err)
		}
		off := (pages-1)*page - n
		return mem[off : off+n : off+n]
	}
	if err := syscall.Mprotect(mem[:page], syscall.PROT_NONE); err != nil {
		g.t.Fatal(err)
	}
	return mem[page : page+n : page+n]
}

func (g *guarded) f32(src []float32, atEnd bool) []float32 {
	b := g.bytes(4*len(src)+4, atEnd) // never empty, for the pointer below
	var s []float32
	if atEnd {
		s = unsafe.Slice((*float32)(unsafe.Pointer(&b[4])), len(src))
	} else {
		s = unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(src))
	}
	copy(s, src)
	return s
}

func (g *guarded) f64(src []float64, atEnd bool) []float64 {
	b := g.bytes(8*len(src)+8, atEnd)
	var s []float64
	if atEnd {
		s = unsafe.Slice((*float64)(unsafe.Pointer(&b[8])), len(src))
	} else {
		s = unsafe.Slice((*float64)(unsafe.Pointer(&b[0])), len(src))
	}
	copy(s, src)
	return s
}

func (g *guarded) data(src []byte, atEnd bool) []byte {
	b := g.bytes(len(src), atEnd)
	copy(b, src)
	return b
}

func (g *guarded) free() {
	for _, m := range g.maps {
		syscall.Munmap(m)
	}
	g.maps = nil
}

// TestGuardPages runs every routine with assembly on each path with its
// operands (inputs and outputs) ending exactly at an inaccessible page, then
// starting exactly after one: a routine that touches a byte outside its
// slices faults. The results are checked too, against the references.
func TestGuardPages(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	forPaths(t, func(t *testing.T) {
		for _, atEnd := range []bool{true, false} {
			g := &guarded{t: t}
			// Shapes: k multiples of the 8/16-wide transposes (which then
			// run up to the last byte), k one over or under, tiles full and
			// partial.
			for _, sz := range [][3]int{{1, 1, 1}, {1, 16, 16}, {14, 32, 32}, {6, 16, 16}, {28, 64, 64}, {12, 48, 40},
				{3, 17, 5}, {5, 15, 33}, {29, 31, 70}, {6, 8, 8}, {13, 2048, 17}, {7, 2*kcBlock + 32, 16}} {
				m, k, n := sz[0], sz[1], sz[2]
				a := randSlice(r, m*k)
				ga := g.f32(a, atEnd)
				for _, d := range []DType{F32, F16, BF16} {
					w, exact := encodeMatrix(randSlice(r, n*k), n, k, d)
					w.Data = g.data(w.Data, atEnd)
					ref, mag := refMatMulT(a, exact, m, k, n)
					dst := g.f32(poisoned(m*n), atEnd)
					name := fmt.Sprintf("atEnd=%v m=%d k=%d n=%d dtype=%d", atEnd, m, k, n, d)
					MatMulT(dst, ga, m, w)
					checkClose(t, name, dst, ref, mag, k)
					MatMulTBF16(dst, ga, m, w)
					checkBF16(t, name+" bf16", dst, a, exact, m, k, n)
				}
				bt := randSlice(r, n*k)
				ref, mag := refMatMulT(a, bt, m, k, n)
				dst := g.f32(poisoned(m*n), atEnd)
				MatMulTF32(dst, ga, g.f32(bt, atEnd), m, k, n)
				checkClose(t, fmt.Sprintf("TF32 atEnd=%v m=%d k=%d n=%d", atEnd, m, k, n), dst, ref, mag, k)
				b := make([]float32, k*n)
				for j := 0; j < n; j++ {
					for p := 0; p < k; p++ {
						b[p*n+j] = bt[j*k+p]
					}
				}
				dst = g.f32(poisoned(m*n), atEnd)
				MatMul(dst, ga, g.f32(b, atEnd), m, k, n)
				checkClose(t, fmt.Sprintf("MatMul atEnd=%v m=%d k=%d n=%d", atEnd, m, k, n), dst, ref, mag, k)
				g.free()
			}

			for _, c := range []struct{ seq, heads, kvh, d int }{
				{1, 1, 1, 16}, {17, 2, 1, 16}, {70, 4, 2, 80}, {33, 2, 2, 8}, {65, 2, 1, 128}} {
				q := randSlice(r, c.seq*c.heads*c.d)
				k := randSlice(r, c.seq*c.kvh*c.d)
				v := randSlice(r, c.seq*c.kvh*c.d)
				opts := AttentionOpts{Scale: 0.3}
				want, mg := refAttention(q, k, v, c.seq, c.heads, c.kvh, c.d, opts)
				gq, gk, gv := g.f32(q, atEnd), g.f32(k, atEnd), g.f32(v, atEnd)
				out := g.f32(poisoned(len(q)), atEnd)
				Attention(out, gq, gk, gv, c.seq, c.heads, c.kvh, c.d, opts)
				checkClose(t, fmt.Sprintf("Attention atEnd=%v %+v", atEnd, c), out, want, mg, c.seq)
				until := make([][]int32, c.kvh)
				for i := range until {
					until[i] = make([]int32, c.seq)
					for j := range until[i] {
						until[i][j] = math.MaxInt32
					}
				}
				out = g.f32(poisoned(len(q)), atEnd)
				AttentionLive(out, gq, gk, gv, c.seq, c.heads, c.kvh, c.d, opts, until)
				checkClose(t, fmt.Sprintf("AttentionLive atEnd=%v %+v", atEnd, c), out, want, mg, c.seq)
				g.free()
			}

			for _, n := range []int{1, 3, 4, 5, 8, 15, 16, 17, 33} {
				x := randSlice(r, n)
				for i := range x {
					x[i] = -float32(math.Abs(float64(x[i])))
				}
				gx := g.f32(x, atEnd)
				sum := expSubSum(gx, 0.5)
				var wsum float64
				for i, v := range x {
					want := math.Exp(float64(v - 0.5))
					wsum += want
					if math.Abs(float64(gx[i])-want) > 3e-7*want {
						t.Errorf("expSubSum n=%d [%d] = %v, want %v", n, i, gx[i], want)
					}
				}
				if math.Abs(float64(sum)-wsum) > 1e-6*wsum {
					t.Errorf("expSubSum n=%d: sum %v, want %v", n, sum, wsum)
				}

				gg, u := randSlice(r, n), randSlice(r, n)
				want := make([]float32, n)
				copy(want, gg)
				siluMulGo(want, u)
				gg2 := g.f32(gg, atEnd)
				SiLUMul(gg2, g.f32(u, atEnd))
				for i := range want {
					if gg2[i] != want[i] {
						t.Errorf("SiLUMul n=%d [%d] = %v, want %v", n, i, gg2[i], want[i])
					}
				}

				for _, d := range []int{4, 8, 12, 5} {
					q64, k64 := make([]float64, d), make([]float64, n*d)
					for i := range q64 {
						q64[i] = r.NormFloat64()
					}
					for i := range k64 {
						k64[i] = r.NormFloat64()
					}
					want := make([]float64, n)
					dotsF64Go(want, q64, k64)
					dst := g.f64(make([]float64, n), atEnd)
					DotsF64(dst, g.f64(q64, atEnd), g.f64(k64, atEnd))
					for i := range want {
						if math.Abs(dst[i]-want[i]) > 1e-12*(1+math.Abs(want[i])) {
							t.Errorf("DotsF64 n=%d d=%d [%d] = %v, want %v", n, d, i, dst[i], want[i])
						}
					}
				}
				x64, d64 := make([]float64, n), make([]float64, n)
				for i := range x64 {
					x64[i], d64[i] = r.NormFloat64(), r.NormFloat64()
				}
				want64 := make([]float64, n)
				copy(want64, d64)
				addMulF64Go(want64, 1.5, x64)
				gd := g.f64(d64, atEnd)
				AddMulF64(gd, 1.5, g.f64(x64, atEnd))
				for i := range want64 {
					if gd[i] != want64[i] {
						t.Errorf("AddMulF64 n=%d [%d] = %v, want %v", n, i, gd[i], want64[i])
					}
				}
				g.free()
			}
		}
	})
}
