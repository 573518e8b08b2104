package gguf

import (
	"fmt"
	"math"
	"strconv"
)

// ValueType is a metadata value's type tag (gguf_type).
type ValueType uint32

const (
	TypeUint8 ValueType = iota
	TypeInt8
	TypeUint16
	TypeInt16
	TypeUint32
	TypeInt32
	TypeFloat32
	TypeBool
	TypeString
	TypeArray
	TypeUint64
	TypeInt64
	TypeFloat64
)

var valueTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"}

func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("type %d", uint32(t))
}

// elemSize is the encoded size of a scalar type (strings: the length field).
func (t ValueType) elemSize() uint64 {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	default:
		return 8
	}
}

// Value is one metadata value: a scalar (uint64, int64, float64, bool or
// string, whatever its width in the file) or an array of scalars ([]uint64,
// []int64, []float64, []bool, []string).
type Value struct {
	Type ValueType // for arrays, TypeArray
	Elem ValueType // for arrays, the element type
	v    any
}

// String shows the value for messages: strings quoted (so that any byte in
// them stays on one line), arrays by their length.
func (v Value) String() string {
	switch x := v.v.(type) {
	case string:
		return strconv.Quote(x)
	case []uint64, []int64, []float64, []bool, []string:
		return fmt.Sprintf("[%d %s values]", v.Len(), v.Elem)
	}
	return fmt.Sprint(v.v)
}

// Uint returns a non-negative integer value.
func (v Value) Uint() (uint64, bool) {
	switch x := v.v.(type) {
	case uint64:
		return x, true
	case int64:
		return uint64(x), x >= 0
	}
	return 0, false
}

// Int returns an integer value that fits an int.
func (v Value) Int() (int, bool) {
	switch x := v.v.(type) {
	case uint64:
		return int(x), x <= math.MaxInt32
	case int64:
		return int(x), x >= math.MinInt32 && x <= math.MaxInt32
	}
	return 0, false
}

// Float returns a numeric value as float64.
func (v Value) Float() (float64, bool) {
	switch x := v.v.(type) {
	case float64:
		return x, true
	case uint64:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// Bool returns a boolean value.
func (v Value) Bool() (bool, bool) {
	b, ok := v.v.(bool)
	return b, ok
}

// Str returns a string value.
func (v Value) Str() (string, bool) {
	s, ok := v.v.(string)
	return s, ok
}

// Strings returns an array of strings.
func (v Value) Strings() ([]string, bool) {
	s, ok := v.v.([]string)
	return s, ok
}

// Floats returns a numeric array as float64.
func (v Value) Floats() ([]float64, bool) {
	switch x := v.v.(type) {
	case []float64:
		return x, true
	case []int64:
		out := make([]float64, len(x))
		for i, e := range x {
			out[i] = float64(e)
		}
		return out, true
	case []uint64:
		out := make([]float64, len(x))
		for i, e := range x {
			out[i] = float64(e)
		}
		return out, true
	}
	return nil, false
}

// Ints returns an integer array.
func (v Value) Ints() ([]int64, bool) {
	switch x := v.v.(type) {
	case []int64:
		return x, true
	case []uint64:
		out := make([]int64, len(x))
		for i, e := range x {
			if e > math.MaxInt64 {
				return nil, false
			}
			out[i] = int64(e)
		}
		return out, true
	}
	return nil, false
}

// Len is the number of elements of an array (0 for a scalar).
func (v Value) Len() int {
	switch x := v.v.(type) {
	case []uint64:
		return len(x)
	case []int64:
		return len(x)
	case []float64:
		return len(x)
	case []bool:
		return len(x)
	case []string:
		return len(x)
	}
	return 0
}

// value reads one typed value.
func (d *decoder) value(key string) Value {
	t := ValueType(d.u32())
	if d.err != nil {
		return Value{}
	}
	if t == TypeArray {
		et := ValueType(d.u32())
		n := d.u64()
		if d.err != nil {
			return Value{}
		}
		if et == TypeArray {
			d.fail(fmt.Errorf("nested arrays are not supported"))
			return Value{}
		}
		if et > TypeFloat64 {
			d.fail(fmt.Errorf("unknown array element type %d", uint32(et)))
			return Value{}
		}
		if n > uint64(d.size-d.pos)/et.elemSize() {
			d.fail(fmt.Errorf("array of %d %s elements cannot fit in the rest of the file", n, et))
			return Value{}
		}
		return Value{Type: TypeArray, Elem: et, v: d.array(et, int(n))}
	}
	if t > TypeFloat64 {
		d.fail(fmt.Errorf("unknown value type %d", uint32(t)))
		return Value{}
	}
	x := d.scalar(t)
	if f, ok := x.(float64); ok && t == TypeFloat32 {
		// The converter wrote a config's decimal (1e-05) as float32: take
		// the shortest decimal that gives the same float32 back, so the
		// value is the config's own.
		x, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', -1, 32), 64)
	}
	return Value{Type: t, v: x}
}

func (d *decoder) scalar(t ValueType) any {
	switch t {
	case TypeUint8:
		return uint64(d.u8())
	case TypeInt8:
		return int64(int8(d.u8()))
	case TypeUint16:
		return uint64(d.u16())
	case TypeInt16:
		return int64(int16(d.u16()))
	case TypeUint32:
		return uint64(d.u32())
	case TypeInt32:
		return int64(int32(d.u32()))
	case TypeFloat32:
		return float64(math.Float32frombits(d.u32()))
	case TypeBool:
		b := d.u8()
		if b > 1 && d.err == nil {
			d.fail(fmt.Errorf("bool value %d is neither 0 nor 1", b))
		}
		return b == 1
	case TypeString:
		return d.str()
	case TypeUint64:
		return d.u64()
	case TypeInt64:
		return int64(d.u64())
	default: // TypeFloat64
		return math.Float64frombits(d.u64())
	}
}

func (d *decoder) array(t ValueType, n int) any {
	switch t {
	case TypeString:
		out := make([]string, 0, n)
		for i := 0; i < n && d.err == nil; i++ {
			out = append(out, d.str())
		}
		return out
	case TypeBool:
		out := make([]bool, 0, n)
		for i := 0; i < n && d.err == nil; i++ {
			out = append(out, d.scalar(t).(bool))
		}
		return out
	case TypeFloat32, TypeFloat64:
		out := make([]float64, 0, n)
		for i := 0; i < n && d.err == nil; i++ {
			out = append(out, d.scalar(t).(float64))
		}
		return out
	case TypeUint8, TypeUint16, TypeUint32, TypeUint64:
		out := make([]uint64, 0, n)
		for i := 0; i < n && d.err == nil; i++ {
			out = append(out, d.scalar(t).(uint64))
		}
		return out
	default:
		out := make([]int64, 0, n)
		for i := 0; i < n && d.err == nil; i++ {
			out = append(out, d.scalar(t).(int64))
		}
		return out
	}
}
