package safetensors

// DType is a tensor element type, spelled as in the safetensors header.
type DType string

// Element types known to this package. Sub-byte types (F4, F6) are not
// supported because elements must be addressable bytes.
const (
	F64    DType = "F64"
	F32    DType = "F32"
	F16    DType = "F16"
	BF16   DType = "BF16"
	F8E4M3 DType = "F8_E4M3"
	F8E5M2 DType = "F8_E5M2"
	// The "fnuz" FP8 formats of AMD GPUs (torch.float8_e4m3fnuz,
	// float8_e5m2fnuz): no infinities, no -0, 0x80 the only NaN.
	F8E4M3FNUZ DType = "F8_E4M3FNUZ"
	F8E5M2FNUZ DType = "F8_E5M2FNUZ"
	I64        DType = "I64"
	I32        DType = "I32"
	I16        DType = "I16"
	I8         DType = "I8"
	U64        DType = "U64"
	U32        DType = "U32"
	U16        DType = "U16"
	U8         DType = "U8"
	BOOL       DType = "BOOL"
)

// dtypeSizes maps every supported dtype to its element size in bytes.
var dtypeSizes = map[DType]int{
	F64: 8, F32: 4, F16: 2, BF16: 2, F8E4M3: 1, F8E5M2: 1, F8E4M3FNUZ: 1, F8E5M2FNUZ: 1,
	I64: 8, I32: 4, I16: 2, I8: 1,
	U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
}

// Size returns the number of bytes per element, or 0 for an unknown dtype.
func (d DType) Size() int { return dtypeSizes[d] }

// known reports whether d is a dtype this package can read and write.
func (d DType) known() bool { return dtypeSizes[d] != 0 }
