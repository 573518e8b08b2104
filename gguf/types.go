package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/qfilters/qfilters/kernels"
)

// Type is a tensor's ggml element type (ggml_type).
type Type uint32

const (
	F32  Type = 0
	F16  Type = 1
	Q4_0 Type = 2
	Q8_0 Type = 8
	Q4_K Type = 12
	Q5_K Type = 13
	Q6_K Type = 14
	BF16 Type = 30
)

// typeInfo is a type's block geometry, and its dequantizer when we have one.
type typeInfo struct {
	name         string
	block, bytes int
	dequant      func(dst []float32, src []byte) // one block
}

// types lists every type ggml has defined (ids 4, 5 and 31-33 were
// removed), so that files holding types we cannot dequantize still parse and
// the error can name the type.
var types = map[Type]typeInfo{
	0:  {"F32", 1, 4, dequantF32},
	1:  {"F16", 1, 2, dequantF16},
	2:  {"Q4_0", 32, 18, dequantQ4_0},
	3:  {"Q4_1", 32, 20, nil},
	6:  {"Q5_0", 32, 22, nil},
	7:  {"Q5_1", 32, 24, nil},
	8:  {"Q8_0", 32, 34, dequantQ8_0},
	9:  {"Q8_1", 32, 36, nil},
	10: {"Q2_K", 256, 84, nil},
	11: {"Q3_K", 256, 110, nil},
	12: {"Q4_K", 256, 144, dequantQ4_K},
	13: {"Q5_K", 256, 176, dequantQ5_K},
	14: {"Q6_K", 256, 210, dequantQ6_K},
	15: {"Q8_K", 256, 292, nil},
	16: {"IQ2_XXS", 256, 66, nil},
	17: {"IQ2_XS", 256, 74, nil},
	18: {"IQ3_XXS", 256, 98, nil},
	19: {"IQ1_S", 256, 50, nil},
	20: {"IQ4_NL", 32, 18, nil},
	21: {"IQ3_S", 256, 110, nil},
	22: {"IQ2_S", 256, 82, nil},
	23: {"IQ4_XS", 256, 136, nil},
	24: {"I8", 1, 1, nil},
	25: {"I16", 1, 2, nil},
	26: {"I32", 1, 4, nil},
	27: {"I64", 1, 8, nil},
	28: {"F64", 1, 8, nil},
	29: {"IQ1_M", 256, 56, nil},
	30: {"BF16", 1, 2, dequantBF16},
	34: {"TQ1_0", 256, 54, nil},
	35: {"TQ2_0", 256, 66, nil},
	39: {"MXFP4", 32, 17, nil},
}

func (t Type) info() (typeInfo, bool) {
	ti, ok := types[t]
	return ti, ok
}

func (t Type) String() string {
	if ti, ok := types[t]; ok {
		return ti.name
	}
	return fmt.Sprintf("unknown type %d", uint32(t))
}

// Supported reports whether tensors of this type can be dequantized.
func (t Type) Supported() bool {
	ti, ok := types[t]
	return ok && ti.dequant != nil
}

// BlockSize is the number of elements per block, and BlockBytes its size.
func (t Type) BlockSize() int  { return types[t].block }
func (t Type) BlockBytes() int { return types[t].bytes }

// dequantize converts whole blocks of src into dst.
func (t Type) dequantize(dst []float32, src []byte) {
	le := binary.LittleEndian
	// One-element "blocks": a plain loop, not a call per element.
	switch t {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(le.Uint32(src[4*i:]))
		}
		return
	case F16:
		for i := range dst {
			dst[i] = kernels.F16ToF32(le.Uint16(src[2*i:]))
		}
		return
	case BF16:
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(le.Uint16(src[2*i:])) << 16)
		}
		return
	}
	ti := types[t]
	for i := 0; i*ti.block < len(dst); i++ {
		ti.dequant(dst[i*ti.block:(i+1)*ti.block], src[i*ti.bytes:(i+1)*ti.bytes])
	}
}

func supportedList() string {
	var names []string
	for _, t := range []Type{F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K} {
		names = append(names, t.String())
	}
	return strings.Join(names, ", ")
}
