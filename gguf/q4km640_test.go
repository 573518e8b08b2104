package gguf

import (
	"encoding/binary"
	"math"
)

// quantQ5_0 as ggml's quantize_row_q5_0_ref: the signed extreme maps to
// -16; 5-bit values, the fifth bits gathered in qh.
func quantQ5_0(dst []byte, blk []float32) {
	var mx float32
	for _, v := range blk {
		if math.Abs(float64(v)) > math.Abs(float64(mx)) {
			mx = v
		}
	}
	d := putF16(dst, mx/-16)
	var qh uint32
	for j := 0; j < 16; j++ {
		var q [2]int
		for h := 0; h < 2; h++ {
			if d != 0 {
				q[h] = min(max(int(math.Trunc(float64(blk[j+16*h]/d)+16.5)), 0), 31)
			}
		}
		dst[6+j] = byte(q[0]&15 | (q[1]&15)<<4)
		qh |= uint32(q[0]>>4) << j
		qh |= uint32(q[1]>>4) << (j + 16)
	}
	binary.LittleEndian.PutUint32(dst[2:], qh)
}
