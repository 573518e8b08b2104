package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/qfilters/qfilters/kernels"
)

// Type is a tensor's ggml element type (ggml_type).
type Type uint32

const (
	F32     Type = 0
	F16     Type = 1
	Q4_0    Type = 2
	Q4_1    Type = 3
	Q5_0    Type = 6
	Q5_1    Type = 7
	Q8_0    Type = 8
	Q2_K    Type = 10
	Q3_K    Type = 11
	Q4_K    Type = 12
	Q5_K    Type = 13
	Q6_K    Type = 14
	IQ2_XXS Type = 16
	IQ2_XS  Type = 17
	IQ3_XXS Type = 18
	IQ1_S   Type = 19
	IQ4_NL  Type = 20
	IQ3_S   Type = 21
	IQ2_S   Type = 22
	IQ4_XS  Type = 23
	IQ1_M   Type = 29
	BF16    Type = 30
	TQ1_0   Type = 34
	TQ2_0   Type = 35
	MXFP4   Type = 39
	NVFP4   Type = 40
	Q1_0    Type = 41
	Q2_0    Type = 42
)

// typeInfo is a type's block geometry, and its dequantizer when we have one.
type typeInfo struct {
	name         string
	block, bytes int
	dequant      func(dst []float32, src []byte) // one block
}

// types lists every type ggml has defined (ids 4, 5 and 31-33, 36-38 were
// removed), so that files holding types we cannot dequantize still parse and
// the error can name the type.
var types = map[Type]typeInfo{
	0:  {"F32", 1, 4, dequantF32},
	1:  {"F16", 1, 2, dequantF16},
	2:  {"Q4_0", 32, 18, dequantQ4_0},
	3:  {"Q4_1", 32, 20, dequantQ4_1},
	6:  {"Q5_0", 32, 22, dequantQ5_0},
	7:  {"Q5_1", 32, 24, dequantQ5_1},
	8:  {"Q8_0", 32, 34, dequantQ8_0},
	9:  {"Q8_1", 32, 36, nil},
	10: {"Q2_K", 256, 84, dequantQ2_K},
	11: {"Q3_K", 256, 110, dequantQ3_K},
	12: {"Q4_K", 256, 144, dequantQ4_K},
	13: {"Q5_K", 256, 176, dequantQ5_K},
	14: {"Q6_K", 256, 210, dequantQ6_K},
	15: {"Q8_K", 256, 292, nil},
	16: {"IQ2_XXS", 256, 66, dequantIQ2_XXS},
	17: {"IQ2_XS", 256, 74, dequantIQ2_XS},
	18: {"IQ3_XXS", 256, 98, dequantIQ3_XXS},
	19: {"IQ1_S", 256, 50, dequantIQ1_S},
	20: {"IQ4_NL", 32, 18, dequantIQ4_NL},
	21: {"IQ3_S", 256, 110, dequantIQ3_S},
	22: {"IQ2_S", 256, 82, dequantIQ2_S},
	23: {"IQ4_XS", 256, 136, dequantIQ4_XS},
	24: {"I8", 1, 1, nil},
	25: {"I16", 1, 2, nil},
	26: {"I32", 1, 4, nil},
	27: {"I64", 1, 8, nil},
	28: {"F64", 1, 8, nil},
	29: {"IQ1_M", 256, 56, dequantIQ1_M},
	30: {"BF16", 1, 2, dequantBF16},
	34: {"TQ1_0", 256, 54, dequantTQ1_0},
	35: {"TQ2_0", 256, 66, dequantTQ2_0},
	39: {"MXFP4", 32, 17, dequantMXFP4},
	40: {"NVFP4", 64, 36, dequantNVFP4},
	41: {"Q1_0", 128, 18, dequantQ1_0},
	42: {"Q2_0", 64, 18, dequantQ2_0},
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

// SupportedTypes lists the types we dequantize, by ggml id: every type
// ggml's to_float converts (ggml.c's type_traits), which is every type
// llama.cpp writes for weights. Q8_1 and Q8_K (dot-product intermediates,
// never in files) and the integer types have no to_float and are not read.
func SupportedTypes() []Type {
	var out []Type
	for t, ti := range types {
		if ti.dequant != nil {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

func supportedList() string {
	var names []string
	for _, t := range SupportedTypes() {
		names = append(names, t.String())
	}
	return strings.Join(names, ", ")
}

// Dequantize converts whole blocks of typ in src to float32 in dst, as
// ggml's to_float does: len(dst) must be a whole number of blocks and src
// exactly their bytes.
func (t Type) Dequantize(dst []float32, src []byte) error {
	ti, ok := types[t]
	if !ok || ti.dequant == nil {
		return fmt.Errorf("type %s cannot be dequantized (supported: %s)", t, supportedList())
	}
	if len(dst)%ti.block != 0 || len(src) != len(dst)/ti.block*ti.bytes {
		return fmt.Errorf("%s: %d elements and %d bytes are not a whole number of blocks of %d elements in %d bytes", t, len(dst), len(src), ti.block, ti.bytes)
	}
	t.dequantize(dst, src)
	return nil
}
