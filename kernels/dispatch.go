package kernels

import (
	"fmt"
	"sync/atomic"
)

// Path names one implementation of the micro-kernels. The fastest one the CPU
// supports is chosen at start-up; tests and benchmarks force the others with
// SetPath to check that every path computes the same thing.
type Path uint8

const (
	Generic Path = iota // pure Go, any architecture
	AVX2                // amd64 AVX2 + FMA, 6x16 tile
	AVX512              // amd64 AVX-512F, 14x32 tile (+ VDPBF16PS when AVX512_BF16)
	NEON                // arm64 Advanced SIMD, 8x12 tile (+ BFDOT when FEAT_BF16)
)

// allPaths lists every path, slowest first on each architecture.
var allPaths = []Path{Generic, AVX2, AVX512, NEON}

func (p Path) String() string {
	switch p {
	case Generic:
		return "generic"
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	case NEON:
		return "neon"
	}
	return fmt.Sprintf("Path(%d)", uint8(p))
}

// microKernel computes one mr×nr tile of C from packed panels:
// C[i][j] = (load ? C[i][j] : 0) + Σ_p a[p*mr+i]·b[p*nr+j] over kd steps,
// with C at c and row stride ldc (elements). Accumulating into the loaded C
// (rather than adding a block sum to it) keeps the summation over k strictly
// sequential, so the result does not depend on the k blocking.
type microKernel func(kd int, a, b, c *float32, ldc int, load bool)

// kernelSet is one path: its tile shape and kernels. bf16 is nil when the
// path has no native bf16 dot product; MatMulTBF16 then runs f32 on
// bf16-rounded, pair-swapped panels, which gives VDPBF16PS's sums (BFDOT's
// differ in the last bits, see dispatch_arm64.go).
type kernelSet struct {
	path   Path
	mr, nr int
	f32    microKernel
	bf16   microKernel
	f32x8  microKernel // f32 on an 8×nr tile (A panels 8 wide), or nil
	kc     int         // GEMM block depth in k steps; 0: kcBlock
}

var (
	// available maps each supported path to its kernels; archKernels (one
	// per architecture file) adds the assembly paths the CPU can run.
	available = archKernels(map[Path]*kernelSet{Generic: &genericKernels})
	active    atomic.Pointer[kernelSet]
)

func init() {
	best := available[Generic]
	for _, p := range allPaths[1:] {
		if ks, ok := available[p]; ok {
			best = ks
		}
	}
	active.Store(best)
}

func current() *kernelSet { return active.Load() }

// Paths lists the paths this CPU supports, slowest first.
func Paths() []Path {
	var ps []Path
	for _, p := range allPaths {
		if _, ok := available[p]; ok {
			ps = append(ps, p)
		}
	}
	return ps
}

// SetPath forces path p for all later calls (it panics if the CPU lacks it)
// and returns a function that restores the previous path. It is meant for
// tests and benchmarks, not for use concurrently with running products.
func SetPath(p Path) (restore func()) {
	ks, ok := available[p]
	if !ok {
		panic(fmt.Sprintf("kernels: path %v not supported on this CPU", p))
	}
	prev := active.Swap(ks)
	return func() { active.Store(prev) }
}

// NativeBF16 reports whether the active path has a bf16 dot-product
// instruction. Without one, MatMulTBF16 emulates it exactly, at f32 speed at
// best (more work in packing), so bf16 compute is then never faster than f32.
func NativeBF16() bool { return current().bf16 != nil }

// CurrentPath describes the active path, e.g. "avx512+bf16 (14x32)".
func CurrentPath() string { return describe(current()) }

func describe(ks *kernelSet) string {
	s := ks.path.String()
	if ks.bf16 != nil {
		s += "+bf16"
	}
	return fmt.Sprintf("%s (%dx%d)", s, ks.mr, ks.nr)
}
