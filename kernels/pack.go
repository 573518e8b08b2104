package kernels

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// Packing copies a k-block of the operands into the order the micro-kernel
// reads them: for each k step, the mr values of an A micro-panel (or the nr
// values of a B micro-panel) are contiguous. The kernel then streams both
// panels linearly, and edge panels are zero-padded so it never branches on
// size. Weights are converted from their stored dtype here, one cache-sized
// block at a time.

// srcKind says how the right-hand operand B of C = A·B is stored.
type srcKind uint8

const (
	srcMatF32  srcKind = iota // Matrix bytes, [n][k] little-endian float32
	srcMatF16                 // Matrix bytes, [n][k] IEEE half
	srcMatBF16                // Matrix bytes, [n][k] bfloat16
	srcF32T                   // []float32 [n][k]
	srcF32N                   // []float32 [k][n]
)

// bsrc is the right-hand operand: column j of B is row j of a weight (the
// "T" kinds) or column j of a row-major [k][n] matrix (srcF32N).
type bsrc struct {
	kind srcKind
	data []byte
	f    []float32
	k, n int
	ld   int // row stride of f in elements; 0 means dense (k or n)
}

// stride is the row stride of f.
func (s *bsrc) stride() int {
	if s.ld > 0 {
		return s.ld
	}
	if s.kind == srcF32N {
		return s.n
	}
	return s.k
}

// column writes B[p0:p0+kc][j] into tmp[:kc] as float32 and returns it.
// For float32 sources stored as []float32 it returns a view without copying.
func (s *bsrc) column(j, p0, kc int, tmp []float32) []float32 {
	k := s.k
	switch s.kind {
	case srcF32T:
		ld := s.stride()
		return s.f[j*ld+p0 : j*ld+p0+kc]
	case srcMatF32:
		b := s.data[(j*k+p0)*4 : (j*k+p0+kc)*4]
		tmp = tmp[:kc]
		for p := range tmp {
			tmp[p] = math.Float32frombits(binary.LittleEndian.Uint32(b[p*4:]))
		}
	case srcMatBF16:
		b := s.data[(j*k+p0)*2 : (j*k+p0+kc)*2]
		tmp = tmp[:kc]
		for p := range tmp {
			tmp[p] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[p*2:])) << 16)
		}
	case srcMatF16:
		b := s.data[(j*k+p0)*2 : (j*k+p0+kc)*2]
		tmp = tmp[:kc]
		for p := range tmp {
			tmp[p] = F16ToF32(binary.LittleEndian.Uint16(b[p*2:]))
		}
	case srcF32N:
		tmp = tmp[:kc]
		ld := s.stride()
		f := s.f[p0*ld+j:]
		for p := range tmp {
			tmp[p] = f[p*ld]
		}
	}
	return tmp
}

// packLayout says how values are arranged along k inside a panel.
type packLayout uint8

const (
	layoutF32  packLayout = iota // float32, k in order
	layoutEmu                    // bf16-rounded float32, k order 1,0,3,2,... (VDPBF16PS order)
	layoutPair                   // one uint32 per k pair: bf16(k=2q) | bf16(k=2q+1)<<16
)

// scatter writes the kc values of one row of A or one column of B into
// position idx of a panel of width w (dst[p*w+idx] in float32 layout).
// dst must already be zero wherever the panel is padded.
func scatter(dst []float32, w, idx int, v []float32, lay packLayout) {
	switch lay {
	case layoutF32:
		d := dst[idx:]
		for p, x := range v {
			d[p*w] = x
		}
	case layoutEmu:
		d := dst[idx:]
		for p, x := range v {
			d[(p^1)*w] = roundToBF16(x)
		}
	case layoutPair:
		d := unsafe.Slice((*uint32)(unsafe.Pointer(&dst[0])), len(dst))[idx:]
		kc := len(v)
		q := 0
		for ; 2*q+1 < kc; q++ {
			d[q*w] = uint32(roundBF16(v[2*q])) | uint32(roundBF16(v[2*q+1]))<<16
		}
		if 2*q < kc {
			d[q*w] = uint32(roundBF16(v[2*q]))
		}
	}
}

// panelDepth is the number of kernel steps for kc values of k: pairs pack two
// k values per step, and the bf16 layouts pad k to even.
func panelDepth(kc int, lay packLayout) int {
	switch lay {
	case layoutEmu:
		return kc + kc&1
	case layoutPair:
		return (kc + 1) / 2
	}
	return kc
}

// packB packs columns j0..j0+nr-1 of B, k range p0..p0+kc-1, into one
// micro-panel of width w (nr ≤ w; missing columns are zero).
func packB(dst []float32, s *bsrc, j0, nr, w, p0, kc int, lay packLayout, tmp []float32) {
	dst = dst[:panelDepth(kc, lay)*w]
	if nr < w || lay == layoutEmu {
		clear(dst) // padding columns; layoutEmu leaves the step after an odd kc
	}
	if s.kind == srcF32N && lay == layoutF32 {
		// Rows of B are contiguous here: copy them straight.
		ld := s.stride()
		for p := 0; p < kc; p++ {
			copy(dst[p*w:p*w+nr], s.f[(p0+p)*ld+j0:])
		}
		return
	}
	cols, kdone := packBFast(dst, s, j0, nr, w, p0, kc, lay)
	for jj := 0; jj < nr; jj++ {
		if jj < cols {
			// The vector transposes did these columns up to kdone.
			if kdone < kc {
				off := panelDepth(kdone, lay) * w
				scatter(dst[off:], w, jj, s.column(j0+jj, p0+kdone, kc-kdone, tmp), lay)
			}
			continue
		}
		scatter(dst, w, jj, s.column(j0+jj, p0, kc, tmp), lay)
	}
}

// packA packs rows i0..i0+mr-1 of the row-major a (row stride lda), k range
// p0..p0+kc-1, into one micro-panel of width w (mr ≤ w; missing rows are zero).
func packA(dst, a []float32, lda, i0, mr, w, p0, kc int, lay packLayout) {
	dst = dst[:panelDepth(kc, lay)*w]
	if mr < w || lay == layoutEmu {
		clear(dst) // padding rows; layoutEmu leaves the step after an odd kc
	}
	k0 := packAFast(dst, a, lda, i0, mr, w, p0, kc, lay) // float32 layout when > 0
	if k0 == kc {
		return
	}
	for ii := 0; ii < mr; ii++ {
		row := a[(i0+ii)*lda+p0:]
		scatter(dst[k0*w:], w, ii, row[k0:kc], lay)
	}
}

// transposeGo sets dst[c*ldd+r] = src[r*lds+c] for r0 ≤ r < r1, c0 ≤ c < c1.
func transposeGo(dst []float32, ldd int, src []float32, lds, r0, r1, c0, c1 int) {
	if c0 >= c1 {
		return
	}
	for r := r0; r < r1; r++ {
		row := src[r*lds+c0 : r*lds+c1]
		d := dst[c0*ldd+r:]
		for c, x := range row {
			d[c*ldd] = x
		}
	}
}
