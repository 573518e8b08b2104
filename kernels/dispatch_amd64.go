package kernels

import "golang.org/x/sys/cpu"

// x86Features are the instruction-set extensions the amd64 routines use.
// CPUs have shipped with AVX512F but not BW, DQ or VL (Knights Landing), and
// with AVX-512 but not BF16, so each routine is enabled on exactly what its
// instructions need, never on AVX512F alone.
type x86Features struct {
	AVX2, FMA                     bool
	AVX512F, AVX512BW, AVX512BF16 bool
}

// x86Routines says which assembly routines may run.
type x86Routines struct {
	avx2Gemm   bool // sgemmAVX2: VFMADD231PS/VBROADCASTSS on ymm (AVX2, FMA)
	avx512Gemm bool // sgemmAVX512, sgemm8AVX512: zmm FMA (AVX512F)
	bf16Gemm   bool // sbf16AVX512: VDPBF16PS zmm (AVX512F, AVX512_BF16)
	packF32    bool // transpose32x16AVX512: dword unpacks, VSHUFI32X4 (AVX512F)
	packBF16   bool // transposeBF16x16AVX512: VPMOVZXWD zmm (AVX512BW)
	expSum     bool // expSubSumAVX512: VRNDSCALEPS, VSCALEFPS, VEXTRACTF64X4 (AVX512F)
	softmax    bool // softmaxStripAVX512: the same, VPCMPUD, VCVTPS2PD zmm (AVX512F)
}

func planX86(f x86Features) x86Routines {
	z := f.AVX512F
	return x86Routines{
		avx2Gemm:   f.AVX2 && f.FMA,
		avx512Gemm: z,
		bf16Gemm:   z && f.AVX512BF16,
		packF32:    z,
		packBF16:   z && f.AVX512BW,
		expSum:     z,
		softmax:    z,
	}
}

// x86 is what this CPU (and its OS, which must save the vector state: x/sys/cpu
// checks XCR0) can run.
var x86 = planX86(x86Features{
	AVX2: cpu.X86.HasAVX2, FMA: cpu.X86.HasFMA,
	AVX512F: cpu.X86.HasAVX512F, AVX512BW: cpu.X86.HasAVX512BW, AVX512BF16: cpu.X86.HasAVX512BF16,
})

func archKernels(m map[Path]*kernelSet) map[Path]*kernelSet { return x86Kernels(m, x86) }

// x86Kernels adds the paths r allows to m. The AVX-512 path exists when its
// GEMM kernels can run; its other routines fall back to Go one by one (see
// avx512Has).
func x86Kernels(m map[Path]*kernelSet, r x86Routines) map[Path]*kernelSet {
	if r.avx2Gemm {
		m[AVX2] = &kernelSet{path: AVX2, mr: 6, nr: 16, f32: sgemmAVX2, kc: blockDepth(l2Bytes(), 6, 16)}
	}
	if r.avx512Gemm {
		ks := &kernelSet{path: AVX512, mr: 14, nr: 32, f32: sgemmAVX512, f32x8: sgemm8AVX512}
		if r.bf16Gemm {
			ks.bf16 = sbf16AVX512
		}
		m[AVX512] = ks
	}
	return m
}

// avx512Has reports whether the AVX-512 path is active and the CPU has what
// routine needs (a field of x86).
func avx512Has(routine bool) bool { return routine && current().path == AVX512 }
