package model

import (
	"fmt"
	"math"

	"github.com/qfilters/qfilters/kernels"
)

// linear is an nn.Linear: y = x·Wᵀ + b, W kept in its stored dtype.
type linear struct {
	w    kernels.Matrix
	bias []float32 // nil when the layer has none
	bf16 bool      // compute in bf16 (inputs and weights rounded), as GPU autocast does
}

// apply returns x·Wᵀ + b for rows rows of x.
func (l *linear) apply(x []float32, rows int) []float32 {
	out := make([]float32, rows*l.w.Rows)
	if l.bf16 {
		kernels.MatMulTBF16(out, x, rows, l.w)
	} else {
		kernels.MatMulT(out, x, rows, l.w)
	}
	if l.bias != nil {
		n := l.w.Rows
		for i := 0; i < rows; i++ {
			row := out[i*n : i*n+n]
			for j, b := range l.bias {
				row[j] += b
			}
		}
	}
	return out
}

// rows returns the linear made of rows [from, to) of l (a view, no copy):
// how fused projections are split.
func (l *linear) rows(from, to int) *linear {
	size := l.w.Cols * elemSize(l.w.DType)
	out := &linear{w: kernels.Matrix{Rows: to - from, Cols: l.w.Cols, DType: l.w.DType}, bf16: l.bf16}
	if l.w.Data != nil { // nil when only shapes were checked
		out.w.Data = l.w.Data[from*size : to*size]
	}
	if l.bias != nil {
		out.bias = l.bias[from:to]
	}
	return out
}

func elemSize(d kernels.DType) int {
	if d == kernels.F32 {
		return 4
	}
	return 2
}

// norm normalizes rows of width len(weight) in place.
type norm struct {
	kind   normKind
	weight []float32
	bias   []float32 // LayerNorm with bias only
	eps    float64
}

func (n *norm) apply(x []float32) {
	d := len(n.weight)
	for off := 0; off+d <= len(x); off += d {
		row := x[off : off+d]
		switch n.kind {
		case layerNorm, layerNormNoBias:
			var mean float64
			for _, v := range row {
				mean += float64(v)
			}
			mean /= float64(d)
			var variance float64
			for _, v := range row {
				dv := float64(v) - mean
				variance += dv * dv
			}
			variance /= float64(d)
			inv := 1 / math.Sqrt(variance+n.eps)
			for i, v := range row {
				row[i] = float32((float64(v)-mean)*inv) * n.weight[i]
				if n.bias != nil {
					row[i] += n.bias[i]
				}
			}
		default:
			var ss float64
			for _, v := range row {
				ss += float64(v) * float64(v)
			}
			inv := float32(1 / math.Sqrt(ss/float64(d)+n.eps))
			for i, v := range row {
				w := n.weight[i]
				if n.kind == rmsNormPlusOne {
					w++
				}
				row[i] = v * inv * w
			}
		}
	}
}

// isSiLU reports whether hidden_act name is SiLU (activation's "silu" case).
func isSiLU(name string) bool { return name == "silu" || name == "swish" }

// activation returns the element-wise function named by hidden_act.
func activation(name string) (func(float32) float32, error) {
	switch name {
	case "silu", "swish":
		return func(x float32) float32 { return x / (1 + float32(math.Exp(float64(-x)))) }, nil
	case "gelu":
		return func(x float32) float32 {
			return float32(0.5 * float64(x) * (1 + math.Erf(float64(x)/math.Sqrt2)))
		}, nil
	case "gelu_pytorch_tanh", "gelu_new", "gelu_fast":
		return func(x float32) float32 {
			v := float64(x)
			return float32(0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v))))
		}, nil
	}
	return nil, fmt.Errorf("unsupported activation %q (supported: silu, gelu, gelu_pytorch_tanh)", name)
}

// softcap applies c·tanh(x/c) in place.
func softcap(x []float32, c float64) {
	for i, v := range x {
		x[i] = float32(c * math.Tanh(float64(v)/c))
	}
}

// addInto adds src to dst element-wise.
func addInto(dst, src []float32) {
	for i, v := range src {
		dst[i] += v
	}
}
