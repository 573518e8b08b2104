package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMatMulEmpty: a zero m or n leaves dst alone, a zero k zeroes it, on
// every path and entry point.
func TestMatMulEmpty(t *testing.T) {
	forPaths(t, func(t *testing.T) {
		for _, sz := range [][3]int{{0, 5, 7}, {3, 0, 7}, {3, 5, 0}, {0, 0, 0}, {1, 0, 1}, {20, 0, 40}} {
			m, k, n := sz[0], sz[1], sz[2]
			a := make([]float32, m*k)
			for _, d := range []DType{F32, F16, BF16} {
				w, _ := encodeMatrix(make([]float32, n*k), n, k, d)
				for name, f := range map[string]func([]float32, []float32, int, Matrix){"MatMulT": MatMulT, "MatMulTBF16": MatMulTBF16} {
					dst := poisoned(m*n + 1)
					f(dst, a, m, w)
					checkEmpty(t, fmt.Sprintf("%s m=%d k=%d n=%d dtype=%d", name, m, k, n, d), dst, m*n)
				}
			}
			dst := poisoned(m*n + 1)
			MatMul(dst, a, make([]float32, k*n), m, k, n)
			checkEmpty(t, fmt.Sprintf("MatMul m=%d k=%d n=%d", m, k, n), dst, m*n)
			dst = poisoned(m*n + 1)
			MatMulTF32(dst, a, make([]float32, k*n), m, k, n)
			checkEmpty(t, fmt.Sprintf("MatMulTF32 m=%d k=%d n=%d", m, k, n), dst, m*n)
		}
	})
}

func checkEmpty(t *testing.T, name string, dst []float32, n int) {
	t.Helper()
	for i, x := range dst {
		if i < n && x != 0 || i >= n && !math.IsNaN(float64(x)) {
			t.Errorf("%s: dst[%d] = %v", name, i, x)
			return
		}
	}
}

// TestMatMulLongK: a depth of many k blocks stays within the error bound
// on every path, in f32 and bf16.
func TestMatMulLongK(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	const m, k, n = 3, 70001, 17
	a := randSlice(r, m*k)
	forPaths(t, func(t *testing.T) {
		w, exact := encodeMatrix(randSlice(r, n*k), n, k, BF16)
		ref, mag := refMatMulT(a, exact, m, k, n)
		dst := poisoned(m * n)
		MatMulT(dst, a, m, w)
		checkClose(t, "f32", dst, ref, mag, k)
		MatMulTBF16(dst, a, m, w)
		checkBF16(t, "bf16", dst, a, exact, m, k, n)
	})
}

// TestRoundBF16Reference checks roundBF16 against round-to-nearest-even
// worked out in float64 (the two bf16 neighbours and which is nearer, ties
// to the even one), for every upper half of the bits with lower halves at
// and around the tie; subnormals flush to signed zero, NaNs stay NaN.
func TestRoundBF16Reference(t *testing.T) {
	bad := 0
	for hi := uint32(0); hi < 1<<16 && bad < 10; hi++ {
		for _, lo := range []uint32{0, 1, 0x1234, 0x7fff, 0x8000, 0x8001, 0xc000, 0xffff} {
			bits := hi<<16 | lo
			f := math.Float32frombits(bits)
			got := roundBF16(f)
			var want uint16
			switch x := float64(f); {
			case math.IsNaN(x):
				if got&0x7f80 != 0x7f80 || got&0x7f == 0 || got&0x8000 != uint16(hi)&0x8000 {
					t.Errorf("roundBF16(%#x) = %#x, want a NaN", bits, got)
					bad++
				}
				continue
			case math.IsInf(x, 0):
				want = uint16(hi)
			case bits&0x7f800000 == 0:
				want = uint16(hi) & 0x8000
			default:
				down, up := uint16(hi), uint16(hi)+1
				dUp := math.Abs(x - float64(bf16Float(up)))
				if up&0x7fff == 0x7f80 { // beyond the largest bf16: 2¹²⁸ in magnitude
					dUp = math.Abs(math.Abs(x) - 0x1p128)
				}
				dDown := math.Abs(x - float64(bf16Float(down)))
				want = up
				if dDown < dUp || dDown == dUp && down&1 == 0 {
					want = down
				}
			}
			if got != want {
				t.Errorf("roundBF16(%#x) = %#x, want %#x", bits, got, want)
				bad++
			}
		}
	}
}

// emulateBF16FTZ is emulateBF16 as VDPBF16PS computes it: each step's
// exact product added to the accumulator, rounded to float32, and flushed to
// zero when the sum is below 2⁻¹²⁶ (the hardware's "FTZ out").
func emulateBF16FTZ(a, w []float32, m, k, n int) []float32 {
	out := make([]float32, m*n)
	step := func(acc, x, y float32) float32 {
		// The product of two bf16 values is exact in float64, and so is its
		// sum with a float32 unless their exponents are far apart, when the
		// float32 rounding cannot be a double rounding's victim.
		s := float32(float64(acc) + float64(roundToBF16(x))*float64(roundToBF16(y)))
		if math.Abs(float64(s)) < 0x1p-126 {
			s = 0
		}
		return s
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var acc float32
			for p := 0; p < k; p += 2 {
				if p+1 < k {
					acc = step(acc, a[i*k+p+1], w[j*k+p+1])
				}
				acc = step(acc, a[i*k+p], w[j*k+p])
			}
			out[i*n+j] = acc
		}
	}
	return out
}

// TestBF16TinySums: where products and partial sums fall below 2⁻¹²⁶ (the
// float32 subnormal range), VDPBF16PS flushes them to zero and the
// emulation does not, so the paths differ there, by under 2⁻¹²⁶ a rounding
// (BFDOT rounds twice a pair); VDPBF16PS's sums are emulateBF16FTZ's.
func TestBF16TinySums(t *testing.T) {
	r := rand.New(rand.NewPCG(81, 82))
	const m, k, n = 5, 37, 19
	a, wf := randSlice(r, m*k), randSlice(r, n*k)
	for i := range a {
		a[i] *= 1e-20
	}
	for i := range wf {
		wf[i] *= 1e-19
	}
	w, exact := encodeMatrix(wf, n, k, BF16)
	emu, ftz := emulateBF16(a, exact, m, k, n), emulateBF16FTZ(a, exact, m, k, n)
	differ := 0
	for i := range emu {
		if emu[i] != ftz[i] {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("the inputs do not reach the subnormal range")
	}
	forPaths(t, func(t *testing.T) {
		dst := poisoned(m * n)
		MatMulTBF16(dst, a, m, w)
		ks := current()
		for i := range dst {
			if ks.bf16 != nil && ks.path != NEON {
				if dst[i] != ftz[i] {
					t.Errorf("element %d = %g, want %g (flushed) ", i, dst[i], ftz[i])
				}
			} else if d := math.Abs(float64(dst[i] - emu[i])); !(d <= (2*k+2)*0x1p-126) {
				t.Errorf("element %d = %g, want %g within %g", i, dst[i], emu[i], (2*k+2)*0x1p-126)
			}
		}
	})
}

// TestGenericKernelsStayInside runs the portable micro-kernels on panels
// that end exactly where their allocations end, for depths around the
// unroll. Under checkptr (go test -race, or -gcflags=all=-d=checkptr) a
// pointer stepped past the end of a panel is a fatal error: the garbage
// collector may find it pointing into a free span ("found bad pointer in Go
// heap") if it scans the kernel's frame there.
func TestGenericKernelsStayInside(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 92))
	for _, ks := range []*kernelSet{
		{path: Generic, mr: 2, nr: 4, f32: kernelGeneric2x4},
		{path: Generic, mr: 4, nr: 4, f32: kernelGeneric4x4},
	} {
		for _, kd := range []int{1, 7, 8, 9, 16, 1024} {
			a, b := randSlice(r, kd*ks.mr), randSlice(r, kd*ks.nr)
			c := make([]float32, ks.mr*ks.nr)
			ks.f32(kd, &a[0], &b[0], &c[0], ks.nr, false)
			for i := 0; i < ks.mr; i++ {
				for j := 0; j < ks.nr; j++ {
					var want float64
					for p := 0; p < kd; p++ {
						want += float64(a[p*ks.mr+i]) * float64(b[p*ks.nr+j])
					}
					if math.Abs(float64(c[i*ks.nr+j])-want) > 1e-4*math.Sqrt(float64(kd)) {
						t.Errorf("%s kd=%d: c[%d][%d] = %v, want %v", describe(ks), kd, i, j, c[i*ks.nr+j], want)
					}
				}
			}
		}
	}
}
