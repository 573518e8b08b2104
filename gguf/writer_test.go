package gguf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

// A GGUF writer for tests: enough of the format to write the files the
// tests need (metadata of every scalar type and arrays, tensors of any type,
// given as their encoded bytes).

// KV is one metadata entry; Val is uint8..uint64, int8..int64, float32,
// float64, bool, string, or a slice of one of those.
type KV struct {
	Key string
	Val any
}

// RawTensor is one tensor: Dims in GGUF order (fastest first) and its bytes.
type RawTensor struct {
	Name string
	Dims []int
	Type Type
	Data []byte
}

// EncodeFile writes a GGUF file of the given version and alignment (0: the
// default 32, else written as general.alignment).
func EncodeFile(version uint32, alignment int, kvs []KV, tensors []RawTensor) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	w := func(v any) { binary.Write(&b, le, v) }
	str := func(s string) { w(uint64(len(s))); b.WriteString(s) }
	b.WriteString("GGUF")
	w(version)
	if alignment != 0 {
		kvs = append([]KV{{"general.alignment", uint32(alignment)}}, kvs...)
	} else {
		alignment = defaultAlignment
	}
	w(uint64(len(tensors)))
	w(uint64(len(kvs)))
	for _, kv := range kvs {
		str(kv.Key)
		writeValue(&b, kv.Val, str, w)
	}
	off := 0
	offsets := make([]int, len(tensors))
	for i, t := range tensors {
		str(t.Name)
		w(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			w(uint64(d))
		}
		w(uint32(t.Type))
		offsets[i] = off
		w(uint64(off))
		off += len(t.Data)
		off += (alignment - off%alignment) % alignment
	}
	for b.Len()%alignment != 0 {
		b.WriteByte(0)
	}
	start := b.Len()
	for i, t := range tensors {
		for b.Len() < start+offsets[i] {
			b.WriteByte(0)
		}
		b.Write(t.Data)
	}
	return b.Bytes()
}

func scalarType(v any) ValueType {
	switch v.(type) {
	case uint8:
		return TypeUint8
	case int8:
		return TypeInt8
	case uint16:
		return TypeUint16
	case int16:
		return TypeInt16
	case uint32:
		return TypeUint32
	case int32:
		return TypeInt32
	case float32:
		return TypeFloat32
	case bool:
		return TypeBool
	case string:
		return TypeString
	case uint64:
		return TypeUint64
	case int64:
		return TypeInt64
	case float64:
		return TypeFloat64
	}
	panic(fmt.Sprintf("writer: unsupported value %T", v))
}

func writeValue(b *bytes.Buffer, v any, str func(string), w func(any)) {
	writeScalar := func(x any) {
		switch x := x.(type) {
		case string:
			str(x)
		case bool:
			if x {
				b.WriteByte(1)
			} else {
				b.WriteByte(0)
			}
		default:
			w(x)
		}
	}
	switch x := v.(type) {
	case []string:
		w(uint32(TypeArray))
		w(uint32(TypeString))
		w(uint64(len(x)))
		for _, e := range x {
			str(e)
		}
	case []float32:
		writeArray(x, w)
	case []int32:
		writeArray(x, w)
	case []uint32:
		writeArray(x, w)
	case []bool:
		w(uint32(TypeArray))
		w(uint32(TypeBool))
		w(uint64(len(x)))
		for _, e := range x {
			writeScalar(e)
		}
	default:
		w(uint32(scalarType(v)))
		writeScalar(v)
	}
}

func writeArray[T float32 | int32 | uint32](x []T, w func(any)) {
	var zero T
	w(uint32(TypeArray))
	w(uint32(scalarType(zero)))
	w(uint64(len(x)))
	for _, e := range x {
		w(e)
	}
}

// F32Bytes encodes float32 values.
func F32Bytes(v []float32) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
	}
	return out
}
