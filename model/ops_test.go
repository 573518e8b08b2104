package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/qfilters/qfilters/kernels"
)

// TestSiLUMulIsActivation: the gated MLP's SiLU pass (kernels.SiLUMul, on
// every kernel path) has the bits of activation("silu") times the up
// projection, so taking it changes no output.
func TestSiLUMulIsActivation(t *testing.T) {
	act, err := activation("silu")
	if err != nil || !isSiLU("silu") || !isSiLU("swish") || isSiLU("gelu") {
		t.Fatal("silu not recognized", err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	g, u := make([]float32, 1003), make([]float32, 1003)
	for i := range g {
		g[i], u[i] = float32(r.NormFloat64()*5), float32(r.NormFloat64())
	}
	for _, p := range kernels.Paths() {
		restore := kernels.SetPath(p)
		got := append([]float32(nil), g...)
		kernels.SiLUMul(got, u)
		restore()
		for i, x := range g {
			if want := act(x) * u[i]; math.Float32bits(got[i]) != math.Float32bits(want) {
				t.Fatalf("%v: silu(%v)·%v = %v, activation gives %v", p, x, u[i], got[i], want)
			}
		}
	}
}
