package model

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/qfilters/qfilters/safetensors"
)

// dequantized presents FP8 weights as F32: each F8_E4M3 / F8_E5M2 tensor
// (or F8_E4M3FNUZ / F8_E5M2FNUZ) times its scale, computed when the tensor
// is read (one tensor at a time, while its layer loads; never the whole
// model). Scales come as
//   - X.weight_scale_inv: one float per block of weight_block_size (DeepSeek
//     V3, Qwen3 FP8); despite the name the weight is code × scale;
//   - X.weight_scale: one float for the tensor (or one per row).
//
// As transformers (Fp8Dequantize) and compressed-tensors do, the product is
// computed in the scale's dtype: with BF16 or F16 scales each weight is
// rounded to it.
// The scale tensors themselves are hidden.
type dequantized struct {
	Weights
	scale map[string]fp8Scale // FP8 tensor -> how it is scaled
	names []string
}

// fp8Scale locates the scale of one FP8 tensor: scale entry (r/br, c/bc)
// multiplies element (r, c).
type fp8Scale struct {
	name   string
	br, bc int
	cols   int // scale columns
}

// defaultFP8Block is transformers' default weight_block_size.
var defaultFP8Block = [2]int{128, 128}

// fp8View wraps w when it holds FP8 tensors, checking from the headers that
// each has a scale of a shape that fits it.
func fp8View(w Weights, q Quantization) (Weights, error) {
	scales := map[string]fp8Scale{}
	hidden := map[string]bool{}
	for _, n := range w.Names() {
		dt, shape, _ := w.Info(n)
		if safetensors.FP8Decoder(dt) == nil {
			continue
		}
		s, err := findScale(w, n, shape, q)
		if err != nil {
			return nil, err
		}
		scales[n] = s
		hidden[s.name] = true
	}
	if len(scales) == 0 {
		return w, nil
	}
	v := &dequantized{Weights: w, scale: scales}
	for _, n := range w.Names() {
		if !hidden[n] {
			v.names = append(v.names, n)
		}
	}
	slices.Sort(v.names)
	return v, nil
}

func findScale(w Weights, name string, shape []int, q Quantization) (fp8Scale, error) {
	rows, cols := 1, 1
	switch len(shape) {
	case 0:
	case 1:
		cols = shape[0]
	case 2:
		rows, cols = shape[0], shape[1]
	default:
		return fp8Scale{}, fmt.Errorf("FP8 tensor %s has %d dimensions; only matrices and vectors are dequantized", name, len(shape))
	}
	whole := fp8Scale{br: max(rows, 1), bc: max(cols, 1), cols: 1}
	for _, sn := range []string{name + "_scale_inv", name + "_scale"} {
		sdt, sshape, ok := w.Info(sn)
		if !ok {
			continue
		}
		if sdt != safetensors.F32 && sdt != safetensors.BF16 && sdt != safetensors.F16 {
			return fp8Scale{}, fmt.Errorf("scale %s has dtype %s; expected F32, BF16 or F16", sn, sdt)
		}
		n := 1
		for _, d := range sshape {
			n *= d
		}
		s := whole
		s.name = sn
		switch {
		case n == 1:
		case strings.HasSuffix(sn, "_scale_inv") && len(sshape) == 2:
			b := q.Block
			if b == [2]int{} {
				b = defaultFP8Block
			}
			if sshape[0] != ceilDiv(rows, b[0]) || sshape[1] != ceilDiv(cols, b[1]) {
				return fp8Scale{}, fmt.Errorf("scale %s has shape %v; weight %s of shape %v in %dx%d blocks needs [%d %d]",
					sn, sshape, name, shape, b[0], b[1], ceilDiv(rows, b[0]), ceilDiv(cols, b[1]))
			}
			s = fp8Scale{name: sn, br: b[0], bc: b[1], cols: sshape[1]}
		case n == rows && len(shape) == 2 && (len(sshape) == 1 || len(sshape) == 2 && sshape[1] == 1):
			s = fp8Scale{name: sn, br: 1, bc: cols, cols: 1} // one per row
		default:
			return fp8Scale{}, fmt.Errorf("scale %s has shape %v, which does not fit FP8 tensor %s of shape %v", sn, sshape, name, shape)
		}
		return s, nil
	}
	return fp8Scale{}, fmt.Errorf("tensor %s is stored in FP8 but the checkpoint has no scale for it (%s_scale_inv or %s_scale)", name, name, name)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func (v *dequantized) Names() []string { return v.names }

func (v *dequantized) Info(name string) (safetensors.DType, []int, bool) {
	dt, shape, ok := v.Weights.Info(name)
	if _, fp8 := v.scale[name]; fp8 && ok {
		dt = safetensors.F32
	}
	return dt, shape, ok
}

func (v *dequantized) Tensor(name string) (safetensors.Tensor, error) {
	s, fp8 := v.scale[name]
	if !fp8 {
		return v.Weights.Tensor(name)
	}
	t, err := v.Weights.Tensor(name)
	if err != nil {
		return t, err
	}
	if t.NumElements() != len(t.Data) {
		return t, fmt.Errorf("tensor %s: %d bytes for shape %v", name, len(t.Data), t.Shape)
	}
	decode := safetensors.FP8Decoder(t.DType)
	if decode == nil {
		return t, fmt.Errorf("tensor %s: dtype %s is not FP8", name, t.DType)
	}
	var table [256]float32
	for i := range table {
		table[i] = decode(byte(i))
	}
	st, err := v.Weights.Tensor(s.name)
	if err != nil {
		return t, err
	}
	scale, err := st.Float32()
	if err != nil {
		return t, err
	}
	round, err := scaleRounding(st.DType)
	if err != nil {
		return t, fmt.Errorf("scale %s: %w", s.name, err)
	}
	cols := 1
	if len(t.Shape) > 0 {
		cols = t.Shape[len(t.Shape)-1]
	}
	out := make([]byte, 4*len(t.Data))
	for r := 0; r*cols < len(t.Data); r++ {
		srow := scale[(r/s.br)*s.cols:]
		codes, dst := t.Data[r*cols:(r+1)*cols], out[4*r*cols:4*(r+1)*cols]
		for c0 := 0; c0 < cols; c0 += s.bc {
			k := srow[c0/s.bc]
			c1 := min(c0+s.bc, cols)
			for c, code := range codes[c0:c1] {
				binary.LittleEndian.PutUint32(dst[4*(c0+c):], math.Float32bits(round(table[code]*k)))
			}
		}
	}
	return safetensors.Tensor{Name: t.Name, DType: safetensors.F32, Shape: t.Shape, Data: out}, nil
}

// scaleRounding is how a product of an FP8 code and a scale of dtype dt is
// rounded: to dt, as torch computes code.to(dt) * scale in dt (the float32
// product is exact, so one rounding to nearest even gives torch's result).
func scaleRounding(dt safetensors.DType) (func(float32) float32, error) {
	switch dt {
	case safetensors.F32:
		return func(x float32) float32 { return x }, nil
	case safetensors.BF16:
		return roundToBF16, nil
	case safetensors.F16:
		return roundToF16, nil
	}
	return nil, fmt.Errorf("dtype %s is not F32, BF16 or F16", dt)
}

// roundToBF16 rounds x to bfloat16, to nearest even, as torch does;
// overflow gives an infinity, NaN stays NaN.
func roundToBF16(x float32) float32 {
	b := math.Float32bits(x)
	if b&0x7fffffff > 0x7f800000 {
		return x
	}
	b += 0x7fff + (b>>16)&1
	return math.Float32frombits(b &^ 0xffff)
}

// roundToF16 rounds x to IEEE binary16, to nearest even, subnormals
// included; beyond the largest half (65504) by half an ulp or more gives an
// infinity, and NaN stays NaN.
func roundToF16(x float32) float32 {
	a := math.Abs(float64(x))
	switch {
	case a != a || math.IsInf(a, 0):
		return x
	case a >= 65520:
		return float32(math.Copysign(math.Inf(1), float64(x)))
	}
	ulp := 0x1p-24 // the subnormals' spacing, below 2^-14
	if a >= 0x1p-14 {
		_, e := math.Frexp(a) // a in [2^(e-1), 2^e)
		ulp = math.Ldexp(1, e-11)
	}
	return float32(math.Copysign(math.RoundToEven(a/ulp)*ulp, float64(x)))
}
