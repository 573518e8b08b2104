package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBlockDepth: the AVX2 block depth follows the L2 size of the CPUs that
// run that path, and this CPU's L2 is read.
func TestBlockDepth(t *testing.T) {
	for _, c := range []struct {
		name   string
		l2, kc int
	}{
		{"unknown", 0, 1024},
		{"Zen 4, Zen 5 (1 MiB)", 1 << 20, 1024},
		{"Zen 2, Zen 3 (512 KiB)", 512 << 10, 512},
		{"Haswell, Skylake client (256 KiB)", 256 << 10, 256},
		{"tiny", 64 << 10, 256},
	} {
		if got := blockDepth(c.l2, 6, 16); got != c.kc {
			t.Errorf("%s: kc %d, want %d", c.name, got, c.kc)
		}
	}
	l2 := l2Bytes()
	t.Logf("L2 %d KiB: AVX2 block depth %d", l2>>10, blockDepth(l2, 6, 16))
	if l2 != 0 && (l2 < 64<<10 || l2 > 64<<20) {
		t.Errorf("L2 of %d bytes read from CPUID", l2)
	}
}

// TestBlockDepthSameSums: the AVX2 path gives the same bits whatever block
// depth the L2 size picks (the kernel accumulates into the loaded C, in k
// order).
func TestBlockDepthSameSums(t *testing.T) {
	ks, ok := available[AVX2]
	if !ok {
		t.Skip("no AVX2")
	}
	defer func(saved *kernelSet) { available[AVX2] = saved }(ks)
	r := rand.New(rand.NewPCG(5, 6))
	const m, k, n = 50, 1300, 40
	a := randSlice(r, m*k)
	w, _ := encodeMatrix(randSlice(r, n*k), n, k, BF16)
	var want []float32
	for _, kc := range []int{1024, 512, 256} {
		c := *ks
		c.kc = kc
		available[AVX2] = &c
		restore := SetPath(AVX2)
		dst := poisoned(m * n)
		MatMulT(dst, a, m, w)
		restore()
		if want == nil {
			want = dst
			continue
		}
		for i := range dst {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
				t.Fatalf("kc %d: element %d = %v, kc 1024 gives %v", kc, i, dst[i], want[i])
			}
		}
	}
}
