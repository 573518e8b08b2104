package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestArm64Kernels: the NEON path exists exactly when the CPU has Advanced
// SIMD, with its 8x12 tile, and has the BFDOT kernel exactly when the CPU
// also has FEAT_BF16.
func TestArm64Kernels(t *testing.T) {
	for _, c := range []struct {
		asimd, bf16 bool
		want        string
	}{
		{false, false, ""},
		{false, true, ""},
		{true, false, "neon (8x12)"},
		{true, true, "neon+bf16 (8x12)"},
	} {
		m := arm64Kernels(map[Path]*kernelSet{Generic: &genericKernels}, c.asimd, c.bf16)
		ks := m[NEON]
		switch {
		case c.want == "" && (len(m) != 1 || m[Generic] == nil):
			t.Errorf("asimd %v bf16 %v: %v", c.asimd, c.bf16, m)
		case c.want != "" && (ks == nil || describe(ks) != c.want || (ks.bf16 != nil) != c.bf16):
			t.Errorf("asimd %v bf16 %v: %v, want %s", c.asimd, c.bf16, m, c.want)
		}
	}
	t.Logf("FEAT_BF16 %v, paths %v, current %s", hasBF16(), Paths(), CurrentPath())
}

// TestNEONWithoutBF16 runs bf16 products on the NEON path as a CPU without
// FEAT_BF16 has it: the f32 emulation, bit for bit emulateBF16.
func TestNEONWithoutBF16(t *testing.T) {
	ks, ok := available[NEON]
	if !ok {
		t.Skip("no NEON")
	}
	plain := *ks
	plain.bf16 = nil
	prev := active.Swap(&plain)
	defer active.Store(prev)
	if NativeBF16() || describe(&plain) != "neon (8x12)" {
		t.Fatalf("without BF16: native %v, %s", NativeBF16(), describe(&plain))
	}
	r := rand.New(rand.NewPCG(41, 42))
	for _, sz := range [][3]int{{17, 301, 25}, {8, 2*kcBlock + 3, 12}} {
		m, k, n := sz[0], sz[1], sz[2]
		a := randSlice(r, m*k)
		w, exact := encodeMatrix(randSlice(r, n*k), n, k, BF16)
		dst := poisoned(m * n)
		MatMulTBF16(dst, a, m, w)
		want := emulateBF16(a, exact, m, k, n)
		for i := range want {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
				t.Fatalf("m=%d k=%d n=%d: element %d = %v, want %v", m, k, n, i, dst[i], want[i])
			}
		}
	}
}

// bfRound is the Arm ARM's BFRound of the exact value x: round to odd
// (truncate, then set the last bit if anything was dropped) to float32,
// results in the denormal range flushed to zero. The test's values stay far
// from overflow.
func bfRound(x *big.Float) float32 {
	r := new(big.Float).SetMode(big.ToZero).SetPrec(24).Set(x)
	f, _ := r.Float32()
	if r.Acc() != big.Exact {
		f = math.Float32frombits(math.Float32bits(f) | 1)
	}
	if math.Abs(float64(f)) < 0x1p-126 {
		return float32(math.Copysign(0, float64(f)))
	}
	return f
}

// bfAdd is BFAdd: x + y exactly (300 bits hold any sum of two float32s), then
// BFRound.
func bfAdd(x, y float32) float32 {
	s := new(big.Float).SetPrec(300)
	s.Add(big.NewFloat(float64(x)), big.NewFloat(float64(y)))
	return bfRound(s)
}

// bfDotAdd is BFDotAdd with FPCR.EBF = 0 for the bf16 pairs a and b (low
// halves first): sum + (a₀·b₀ + a₁·b₁), products exact, two BFAdds.
func bfDotAdd(sum float32, a, b uint32) float32 {
	p0 := bf16Float(uint16(a)) * bf16Float(uint16(b))
	p1 := bf16Float(uint16(a>>16)) * bf16Float(uint16(b>>16))
	return bfAdd(sum, bfAdd(p0, p1))
}

// TestBFRound: round to odd keeps exact sums and sets the last bit of
// inexact ones, where round to nearest even would differ.
func TestBFRound(t *testing.T) {
	cases := []struct{ x, y, want float32 }{
		{1, 0x1p-23, 1 + 0x1p-23},           // exact
		{1, 0x1p-24, 1 + 0x1p-23},           // a tie: RNE gives 1, odd 1+ulp
		{1 + 0x1p-23, 0x1p-24, 1 + 0x1p-23}, // already odd: stays
		{1, -0x1p-30, 1 - 0x1p-24},          // just below 1: truncated to 1-2⁻²⁴ (odd)
		{0x1p-126, -0x1p-127, 0},            // a denormal result flushes
	}
	for _, c := range cases {
		if got := bfAdd(c.x, c.y); got != c.want {
			t.Errorf("bfAdd(%g, %g) = %g, want %g", c.x, c.y, got, c.want)
		}
	}
}

// TestBFDOTKernel runs sbf16NEON on random pair panels, from zero and
// accumulating into C, for every loop shape (no, odd and even steps), and
// checks it bit for bit against the architected BFDotAdd (bfDotAdd): the
// pairing, the lanes and the order of the additions all show up there.
func TestBFDOTKernel(t *testing.T) {
	ks, ok := available[NEON]
	if !ok || ks.bf16 == nil {
		t.Skip("no FEAT_BF16")
	}
	const mr, nr, ldc = 8, 12, 15
	r := rand.New(rand.NewPCG(43, 44))
	pair := func() uint32 {
		h := func() uint32 { return uint32(roundBF16(float32(r.NormFloat64() * math.Exp2(float64(r.IntN(9)-4))))) }
		return h() | h()<<16
	}
	for _, kd := range []int{0, 1, 2, 3, 8, 67} {
		for _, load := range []bool{false, true} {
			a, b := make([]uint32, kd*mr+1), make([]uint32, kd*nr+1)
			for i := range a {
				a[i] = pair()
			}
			for i := range b {
				b[i] = pair()
			}
			c := randSlice(r, mr*ldc)
			want := make([]float32, len(c))
			copy(want, c)
			for i := 0; i < mr; i++ {
				for j := 0; j < nr; j++ {
					acc := float32(0)
					if load {
						acc = c[i*ldc+j]
					}
					for p := 0; p < kd; p++ {
						acc = bfDotAdd(acc, b[p*nr+j], a[p*mr+i])
					}
					want[i*ldc+j] = acc
				}
			}
			sbf16NEON(kd, (*float32)(unsafe.Pointer(&a[0])), (*float32)(unsafe.Pointer(&b[0])), &c[0], ldc, load)
			for i := range want {
				if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
					t.Fatalf("kd %d load %v: C[%d][%d] = %v, want %v", kd, load, i/ldc, i%ldc, c[i], want[i])
				}
			}
		}
	}
}
