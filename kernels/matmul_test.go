package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// encodeMatrix stores w (float32, [rows][cols]) in dtype d and returns the
// matrix together with the float32 values it actually holds after rounding.
func encodeMatrix(w []float32, rows, cols int, d DType) (Matrix, []float32) {
	exact := make([]float32, len(w))
	var data []byte
	switch d {
	case F32:
		data = make([]byte, 4*len(w))
		for i, v := range w {
			binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
			exact[i] = v
		}
	case BF16:
		data = make([]byte, 2*len(w))
		for i, v := range w {
			h := roundBF16(v)
			binary.LittleEndian.PutUint16(data[2*i:], h)
			exact[i] = bf16Float(h)
		}
	case F16:
		data = make([]byte, 2*len(w))
		for i, v := range w {
			h := f32ToF16(v)
			binary.LittleEndian.PutUint16(data[2*i:], h)
			exact[i] = F16ToF32(h)
		}
	}
	// Shift by one byte to check that unaligned Data works.
	un := make([]byte, len(data)+1)
	copy(un[1:], data)
	return Matrix{Rows: rows, Cols: cols, DType: d, Data: un[1:]}, exact
}

// f32ToF16 is a test-only truncating conversion; exactness comes from
// decoding the stored half back with F16ToF32.
func f32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	e := int((b>>23)&0xff) - 127 + 15
	if e <= 0 {
		return sign
	}
	if e >= 31 {
		return sign | 0x7c00
	}
	return sign | uint16(e)<<10 | uint16((b>>13)&0x3ff)
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func poisoned(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}

// refMatMulT is dst = a·wᵀ in float64, plus Σ|a||w| per element for the
// error bound.
func refMatMulT(a, w []float32, m, k, n int) (ref, mag []float64) {
	ref = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, g float64
			for p := 0; p < k; p++ {
				x := float64(a[i*k+p]) * float64(w[j*k+p])
				s += x
				g += math.Abs(x)
			}
			ref[i*n+j], mag[i*n+j] = s, g
		}
	}
	return
}

func checkClose(t *testing.T, name string, got []float32, ref, mag []float64, k int) {
	t.Helper()
	tol := 2e-6 * math.Sqrt(float64(k)+1)
	bad := 0
	for i, r := range ref {
		g := float64(got[i])
		if math.IsNaN(g) || math.Abs(g-r) > tol*mag[i]+1e-30 {
			if bad < 5 {
				t.Errorf("%s: element %d = %v, want %v (mag %v)", name, i, g, r, mag[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d bad elements of %d", name, bad, len(ref))
	}
}

var testSizes = [][3]int{
	{1, 1, 1}, {1, 7, 33}, {7, 33, 1}, {33, 100, 7}, {100, 7, 33}, {1, 1000, 100},
	{16, 257, 65}, {15, 300, 47}, {100, 513, 100}, {29, 33, 1000}, {300, 70, 300},
	{37, 1100, 45},
}

func forPaths(t *testing.T, f func(t *testing.T)) {
	for _, p := range Paths() {
		t.Run(p.String(), func(t *testing.T) {
			defer SetPath(p)()
			f(t)
		})
	}
}

func TestMatMulT(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	forPaths(t, func(t *testing.T) {
		for _, sz := range testSizes {
			m, k, n := sz[0], sz[1], sz[2]
			a := randSlice(r, m*k)
			for _, d := range []DType{F32, F16, BF16} {
				w, exact := encodeMatrix(randSlice(r, n*k), n, k, d)
				ref, mag := refMatMulT(a, exact, m, k, n)
				dst := poisoned(m * n)
				MatMulT(dst, a, m, w)
				checkClose(t, fmt.Sprintf("m=%d k=%d n=%d dtype=%d", m, k, n, d), dst, ref, mag, k)
			}
		}
	})
}

func TestMatMulAndTF32(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	forPaths(t, func(t *testing.T) {
		for _, sz := range testSizes {
			m, k, n := sz[0], sz[1], sz[2]
			a := randSlice(r, m*k)
			bt := randSlice(r, n*k) // [n][k]
			ref, mag := refMatMulT(a, bt, m, k, n)
			dst := poisoned(m * n)
			MatMulTF32(dst, a, bt, m, k, n)
			checkClose(t, fmt.Sprintf("TF32 m=%d k=%d n=%d", m, k, n), dst, ref, mag, k)

			b := make([]float32, k*n) // [k][n]
			for j := 0; j < n; j++ {
				for p := 0; p < k; p++ {
					b[p*n+j] = bt[j*k+p]
				}
			}
			dst = poisoned(m * n)
			MatMul(dst, a, b, m, k, n)
			checkClose(t, fmt.Sprintf("MatMul m=%d k=%d n=%d", m, k, n), dst, ref, mag, k)
		}
	})
}

// emulateBF16 is the specification of MatMulTBF16, element by element: round
// both operands to bf16 and accumulate each k pair high element first, every
// addition rounded to float32, as VDPBF16PS does.
func emulateBF16(a, w []float32, m, k, n int) []float32 {
	out := make([]float32, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var acc float32
			for p := 0; p < k; p += 2 {
				if p+1 < k {
					acc = float32(acc + roundToBF16(a[i*k+p+1])*roundToBF16(w[j*k+p+1]))
				}
				acc = float32(acc + roundToBF16(a[i*k+p])*roundToBF16(w[j*k+p]))
			}
			out[i*n+j] = acc
		}
	}
	return out
}

func TestMatMulTBF16(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	// k past 2·kcBlock: pair panels span several k blocks (odd tail last).
	sizes := append(testSizes[:len(testSizes):len(testSizes)], [3]int{9, 2*kcBlock + 405, 13})
	forPaths(t, func(t *testing.T) {
		worst, worstEmu := 0.0, 0.0
		for _, sz := range sizes {
			m, k, n := sz[0], sz[1], sz[2]
			a := randSlice(r, m*k)
			for _, d := range []DType{F32, F16, BF16} {
				w, exact := encodeMatrix(randSlice(r, n*k), n, k, d)
				dst := poisoned(m * n)
				MatMulTBF16(dst, a, m, w)
				e, ee := checkBF16(t, fmt.Sprintf("m=%d k=%d n=%d dtype=%d", m, k, n, d), dst, a, exact, m, k, n)
				worst, worstEmu = max(worst, e), max(worstEmu, ee)
			}
		}
		if !bf16Exact() {
			t.Logf("largest error %.3f of its bound (the emulation's: %.3f of its own)", worst, worstEmu)
		}
	})
}

// bf16Exact reports whether the active path's bf16 products are bit for bit
// emulateBF16's: on every path but NEON with BFDOT, which rounds to odd
// (see dispatch_arm64.go).
func bf16Exact() bool {
	ks := current()
	return ks.bf16 == nil || ks.path != NEON
}

// checkBF16 checks got = MatMulTBF16(a, w): bit for bit against emulateBF16
// where the path computes its sums (bf16Exact), else within bf16Bounds of the
// exact sum of the bf16-rounded products and of the emulation. It returns the
// largest error as a fraction of its bound, and the emulation's.
func checkBF16(t *testing.T, name string, got, a, w []float32, m, k, n int) (worst, worstEmu float64) {
	t.Helper()
	want := emulateBF16(a, w, m, k, n)
	if bf16Exact() {
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Errorf("%s: element %d = %v, want %v", name, i, got[i], want[i])
				return math.Inf(1), 0
			}
		}
		return 0, 0
	}
	bad := 0
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			ref, tol, tolEmu := bf16Bounds(a[i*k:(i+1)*k], w[j*k:(j+1)*k])
			g, e := float64(got[i*n+j]), float64(want[i*n+j])
			worst = max(worst, math.Abs(g-ref)/tol)
			worstEmu = max(worstEmu, math.Abs(e-ref)/tolEmu)
			if math.IsNaN(g) || math.Abs(g-ref) > tol || math.Abs(g-e) > tol+tolEmu {
				if bad < 5 {
					t.Errorf("%s: element [%d][%d] = %v, want %v (emulation %v, tolerance %.3g)", name, i, j, g, ref, e, tol)
				}
				bad++
			}
		}
	}
	return worst, worstEmu
}

// bf16Bounds returns the exact dot product of a and w rounded to bf16
// (float64; products of bf16 values are exact there) and bounds on how far
// BFDOT's float32 sum (tol) and the emulation's (tolEmu) can be from it.
//
// BFDotAdd rounds to odd, an error below one float32 ulp, at most 2·2⁻²⁴ of
// the magnitude rounded, twice per k pair q: the pair's sum t_q, and the
// accumulator, whose exact value is the running sum S_q plus the error so far.
// So the error is at most 2·2⁻²⁴·Σ_q (|t_q| + |S_q|), times (1+2⁻²³)^(k/2) <
// 1.01 (k < 80000) for the errors carried into later roundings. The
// emulation rounds to nearest (2⁻²⁴ of the magnitude) after each product:
// 2⁻²⁴·Σ |partial sums|, likewise. Each product, pair sum or partial sum
// flushed from the denormal range adds under 2⁻¹²⁶, and float64's own
// rounding of the running sums under 2⁻⁵²·k·Σ|products|.
func bf16Bounds(a, w []float32) (ref, tol, tolEmu float64) {
	k := len(a)
	var sumT, sumS, sumEmu, mag float64
	for p := 0; p < k; p += 2 {
		p0 := float64(roundToBF16(a[p])) * float64(roundToBF16(w[p]))
		p1 := 0.0
		if p+1 < k {
			p1 = float64(roundToBF16(a[p+1])) * float64(roundToBF16(w[p+1]))
		}
		sumEmu += math.Abs(ref + p1) // the emulation adds the odd product first
		ref += p0 + p1
		sumT += math.Abs(p0 + p1)
		sumS += math.Abs(ref)
		sumEmu += math.Abs(ref)
		mag += math.Abs(p0) + math.Abs(p1)
	}
	slack := float64(2*k+2)*0x1p-126 + float64(k)*0x1p-52*mag
	return ref, 1.01*0x1p-23*(sumT+sumS) + slack, 1.01*0x1p-24*sumEmu + slack
}

func TestRoundBF16(t *testing.T) {
	cases := []struct {
		in   uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // tie, even stays
		{0x3f818000, 0x3f82}, // tie, odd rounds up
		{0x3f808001, 0x3f81}, // above tie
		{0x7f7fffff, 0x7f80}, // rounds to +Inf
		{0x00400000, 0x0000}, // subnormal flushes
		{0x80400000, 0x8000},
		{0x7fc00001, 0x7fc0},
	}
	for _, c := range cases {
		if got := roundBF16(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("roundBF16(%#x) = %#x, want %#x", c.in, got, c.want)
		}
	}
}

func TestCurrentPath(t *testing.T) {
	t.Logf("paths %v, current %s", Paths(), CurrentPath())
	if ps := Paths(); current().path != ps[len(ps)-1] {
		t.Errorf("current path %v is not the best of %v", current().path, ps)
	}
}

// TestPackB compares B panels packed on each vector path (block transposes
// where they apply: 16×16 on AVX-512, 8×8 on AVX2) with the same panels
// packed in Go, bit for bit; and transposeF32 likewise.
func TestPackB(t *testing.T) {
	for _, p := range Paths() {
		if p != Generic {
			t.Run(p.String(), func(t *testing.T) { testPackB(t, p) })
		}
	}
}

func testPackB(t *testing.T, path Path) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, sz := range [][2]int{{37, 45}, {16, 16}, {64, 40}, {7, 100}} {
		rows, cols := sz[0], sz[1]
		src := randSlice(r, rows*(cols+1))
		tp := func(p Path) []float32 {
			defer SetPath(p)()
			dst := poisoned(cols*(rows+2) + 1)
			transposeF32(dst, rows+2, src, cols+1, rows, cols-1)
			return dst
		}
		want, got := tp(Generic), tp(path)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Errorf("transposeF32 %dx%d: element %d = %v, want %v", rows, cols, i, got[i], want[i])
				break
			}
		}
	}
	const n, k = 70, 300
	wf := randSlice(r, n*k)
	for _, d := range []DType{F32, BF16, F16} {
		w, _ := encodeMatrix(wf, n, k, d)
		srcs := []bsrc{{kind: matrixKind(d), data: w.Data, k: k, n: n}}
		if d == F32 {
			srcs = append(srcs, bsrc{kind: srcF32T, f: wf, k: k - 5, n: n, ld: k})
		}
		for _, s := range srcs {
			for _, lay := range []packLayout{layoutF32, layoutEmu, layoutPair} {
				for _, c := range [][4]int{{0, 32, 0, 300}, {16, 32, 2, 290}, {38, 32, 64, 33}, {40, 30, 4, 64}, {64, 6, 0, 100}, {3, 17, 1, 31}} {
					j0, nr, p0, kc := c[0], c[1], c[2], c[3]
					kc = min(kc, s.k-p0)
					pack := func(p Path) []float32 {
						defer SetPath(p)()
						dst := poisoned(panelDepth(kc, lay) * 32)
						packB(dst, &s, j0, nr, 32, p0, kc, lay, make([]float32, 2*kcBlock))
						return dst
					}
					want, got := pack(Generic), pack(path)
					for i := range want {
						if math.IsNaN(float64(want[i])) || math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Errorf("kind %d lay %d %v: element %d = %v, want %v", s.kind, lay, c, i, got[i], want[i])
							break
						}
					}
				}
			}
		}
	}
}

// TestGenericTiles runs the products and attention on both portable tiles
// (the build picks one per architecture) against the references.
func TestGenericTiles(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, ks := range []*kernelSet{
		{path: Generic, mr: 2, nr: 4, f32: kernelGeneric2x4},
		{path: Generic, mr: 4, nr: 4, f32: kernelGeneric4x4},
	} {
		prev := active.Swap(ks)
		for _, sz := range testSizes {
			m, k, n := sz[0], sz[1], sz[2]
			a := randSlice(r, m*k)
			w, exact := encodeMatrix(randSlice(r, n*k), n, k, BF16)
			ref, mag := refMatMulT(a, exact, m, k, n)
			dst := poisoned(m * n)
			MatMulT(dst, a, m, w)
			checkClose(t, fmt.Sprintf("%s m=%d k=%d n=%d", describe(ks), m, k, n), dst, ref, mag, k)
			MatMulTBF16(dst, a, m, w)
			checkBF16(t, fmt.Sprintf("%s bf16 m=%d k=%d n=%d", describe(ks), m, k, n), dst, a, exact, m, k, n)
		}
		const seq, heads, kvh, hd = 37, 4, 2, 24
		q, kk, v := randSlice(r, seq*heads*hd), randSlice(r, seq*kvh*hd), randSlice(r, seq*kvh*hd)
		opts := AttentionOpts{Scale: 0.2}
		want, mg := refAttention(q, kk, v, seq, heads, kvh, hd, opts)
		got := poisoned(seq * heads * hd)
		Attention(got, q, kk, v, seq, heads, kvh, hd, opts)
		checkClose(t, describe(ks)+" attention", got, want, mg, seq)
		active.Store(prev)
	}
}
