package gguf

import (
	"encoding/binary"
	"unsafe"

	"github.com/qfilters/qfilters/safetensors"
)

// littleEndian: float32 values in memory are their little-endian encoding.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// f32Bytes is v as little-endian bytes (what an F32 safetensors.Tensor
// holds): on little-endian CPUs the same memory, so a dequantized tensor is
// held once (an 8B model's float32 embedding is 2.1 GB); elsewhere a copy.
func f32Bytes(v []float32) []byte {
	if !littleEndian || len(v) == 0 {
		return safetensors.EncodeFloat32(v)
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}
