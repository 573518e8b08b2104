package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestPlanX86: each routine is enabled on exactly the extensions its
// instructions need; AVX512F alone must not enable the BW or BF16 routines.
func TestPlanX86(t *testing.T) {
	all := x86Routines{true, true, true, true, true, true, true}
	cases := []struct {
		name string
		f    x86Features
		want x86Routines
	}{
		{"none", x86Features{}, x86Routines{}},
		{"avx without fma", x86Features{AVX2: true}, x86Routines{}},
		{"avx2+fma (Zen 3, Haswell)", x86Features{AVX2: true, FMA: true}, x86Routines{avx2Gemm: true}},
		{"avx512f only (Knights Landing)", x86Features{AVX2: true, FMA: true, AVX512F: true},
			x86Routines{avx2Gemm: true, avx512Gemm: true, packF32: true, expSum: true, softmax: true}},
		{"avx512f+bw (Skylake-X)", x86Features{AVX2: true, FMA: true, AVX512F: true, AVX512BW: true},
			x86Routines{avx2Gemm: true, avx512Gemm: true, packF32: true, packBF16: true, expSum: true, softmax: true}},
		{"bf16 flag without avx512f", x86Features{AVX2: true, FMA: true, AVX512BW: true, AVX512BF16: true},
			x86Routines{avx2Gemm: true}},
		{"everything (Zen 4, Sapphire Rapids)", x86Features{true, true, true, true, true}, all},
	}
	for _, c := range cases {
		if got := planX86(c.f); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	// The paths built from a plan.
	for _, c := range []struct {
		r       x86Routines
		paths   []Path
		bf16    bool
		bestStr string
	}{
		{x86Routines{}, []Path{Generic}, false, "generic (2x4)"},
		{x86Routines{avx2Gemm: true}, []Path{Generic, AVX2}, false, "avx2 (6x16)"},
		{x86Routines{avx2Gemm: true, avx512Gemm: true}, []Path{Generic, AVX2, AVX512}, false, "avx512 (14x32)"},
		{all, []Path{Generic, AVX2, AVX512}, true, "avx512+bf16 (14x32)"},
	} {
		m := x86Kernels(map[Path]*kernelSet{Generic: &genericKernels}, c.r)
		if len(m) != len(c.paths) {
			t.Errorf("%+v: paths %v, want %v", c.r, m, c.paths)
		}
		best := m[c.paths[len(c.paths)-1]]
		if best == nil || (best.bf16 != nil) != c.bf16 || describe(best) != c.bestStr {
			t.Errorf("%+v: best %+v, want %s", c.r, best, c.bestStr)
		}
	}
}

// TestAVX512Subsets runs the AVX-512 path as a CPU with fewer extensions
// would (the routines it lacks fall back to Go) and checks the products and
// attention against the generic path.
func TestAVX512Subsets(t *testing.T) {
	if _, ok := available[AVX512]; !ok {
		t.Skip("no AVX-512")
	}
	saved := x86
	defer func() { x86 = saved }()
	r := rand.New(rand.NewPCG(21, 22))
	const m, k, n = 37, 300, 70
	a := randSlice(r, m*k)
	for _, sub := range []x86Routines{
		{avx512Gemm: true, packF32: true, expSum: true, softmax: true}, // no BW
		{avx512Gemm: true},
		{avx2Gemm: true, avx512Gemm: true}, // the AVX2 softmax strip on the AVX-512 path
	} {
		x86 = sub
		restore := SetPath(AVX512)
		for _, d := range []DType{F32, BF16} {
			w, exact := encodeMatrix(randSlice(r, n*k), n, k, d)
			ref, mag := refMatMulT(a, exact, m, k, n)
			dst := poisoned(m * n)
			MatMulT(dst, a, m, w)
			checkClose(t, "MatMulT", dst, ref, mag, k)
		}
		const seq, heads, kvh, hd = 40, 4, 2, 16
		q, kk, v := randSlice(r, seq*heads*hd), randSlice(r, seq*kvh*hd), randSlice(r, seq*kvh*hd)
		opts := AttentionOpts{Scale: 0.25}
		want, mg := refAttention(q, kk, v, seq, heads, kvh, hd, opts)
		got := poisoned(seq * heads * hd)
		Attention(got, q, kk, v, seq, heads, kvh, hd, opts)
		checkClose(t, "Attention", got, want, mg, seq)
		restore()
	}
}
