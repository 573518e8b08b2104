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
		for i := 0; i+4 <= len(w.Data); i += 4 {
			if binary.LittleEndian.Uint32(w.Data[i:])&0x7f800000 == 0x7f800000 {
				bad = i / 4
				break
			}
		}
	case kernels.BF16:
		for i := 0; i+2 <= len(w.Data); i += 2 {
			if binary.LittleEndian.Uint16(w.Data[i:])&0x7f80 == 0x7f80 {
				bad = i / 2
				break
			}
		}
	case kernels.F16:
		for i := 0; i+2 <= len(w.Data); i += 2 {
			if binary.LittleEndian.Uint16(w.Data[i:])&0x7c00 == 0x7c00 {
				bad = i / 2
				break
			}
		}
	}
	if bad >= 0 {
		return fmt.Errorf("tensor %s: NaN or Inf at [%d][%d]", name, bad/w.Cols, bad%w.Cols)
	}
	return nil
}
