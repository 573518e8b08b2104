package kernels

import "math"

// SiLUMul sets g[i] = silu(g[i])·u[i] for i < len(g), silu(x) = x/(1+e^-x),
// with the bits of siluMulGo (float64 math.Exp, the rest in float32) on
// every path: the gated MLP's element-wise pass (SwiGLU), which in Go costs
// a few percent of a whole calibration.
func SiLUMul(g, u []float32) {
	checkLen("u", len(u), len(g))
	siluMul(g, u)
}

// siluMulGo is the reference SiLUMul.
func siluMulGo(g, u []float32) {
	for i, x := range g {
		g[i] = x / (1 + float32(math.Exp(float64(-x)))) * u[i]
	}
}
