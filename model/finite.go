package model

import (
	"encoding/binary"
	"fmt"

	"github.com/qfilters/qfilters/kernels"
)

// checkFinite reports the first NaN or Inf in a weight matrix's raw bytes,
// naming the tensor: a corrupt or badly converted checkpoint would otherwise
// silently yield NaN filters. It tests the exponent bits only (all ones means
// Inf or NaN), so it runs at memory speed.
func checkFinite(name string, w kernels.Matrix) error {
	bad := -1
	switch w.DType {
	case kernels.F32:
		bad = firstAllOnes(w.Data, 4, 0x7f800000)
	case kernels.BF16:
		bad = firstAllOnes(w.Data, 2, 0x7f80)
	case kernels.F16:
		bad = firstAllOnes(w.Data, 2, 0x7c00)
	}
	if bad >= 0 {
		return fmt.Errorf("tensor %s: NaN or Inf at [%d][%d]", name, bad/w.Cols, bad%w.Cols)
	}
	return nil
}

// firstAllOnes returns the index of the first little-endian element of size
// bytes (2 or 4) in data whose bits under exp are all set, or -1. It tests
// eight bytes at a time: with y = (word & m) ^ m, a lane is all ones under
// exp exactly when its part of y is 0, and every other lane of y is at least
// the lowest bit of exp (≥ 2) and below the lane's top bit (exp leaves the
// sign out), so subtracting 1 from each lane sets a top bit only where a
// lane (or a lane below it) is 0. A hit is located element by element.
func firstAllOnes(data []byte, size int, exp uint32) int {
	var m, ones uint64
	for i := 0; i < 8; i += size {
		m |= uint64(exp) << (8 * i)
		ones |= 1 << (8 * i)
	}
	top := ones << (8*size - 1)
	i := 0
	for ; i+8 <= len(data); i += 8 {
		y := binary.LittleEndian.Uint64(data[i:])&m ^ m
		if (y-ones)&top != 0 {
			break
		}
	}
	for ; i+size <= len(data); i += size {
		var v uint32
		if size == 4 {
			v = binary.LittleEndian.Uint32(data[i:])
		} else {
			v = uint32(binary.LittleEndian.Uint16(data[i:]))
		}
		if v&exp == exp {
			return i / size
		}
	}
	return -1
}
