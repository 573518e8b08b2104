package gguf

// The ternary TQ1_0 and TQ2_0 (values -1, 0, 1 times d), as ggml's
// dequantize_row_tq1_0 and dequantize_row_tq2_0 compute them.

// trit is the n-th base-3 digit (most significant first) of the fixed-point
// fraction in byte q: ggml's ((q·3^n mod 256)·3) >> 8.
func trit(q byte, pow3 byte) float32 {
	return float32(int(uint16(q*pow3)*3>>8) - 1)
}

var pow3 = [5]byte{1, 3, 9, 27, 81}

// TQ1_0: 48 bytes of five trits each, 4 bytes of four trits each, d (f16).
// Bytes 0-31 give elements 32n+m (digit n of byte m), bytes 32-47 the next
// 80 as 16n+m, and the 4 last bytes the last 16 as 4n+j.
func dequantTQ1_0(dst []float32, src []byte) {
	qs, qh := src[0:48], src[48:52]
	d := f16(src[52:])
	y := dst
	for _, span := range [][]byte{qs[0:32], qs[32:48]} {
		for n := 0; n < 5; n++ {
			for m, b := range span {
				y[m] = trit(b, pow3[n]) * d
			}
			y = y[len(span):]
		}
	}
	for n := 0; n < 4; n++ {
		for j, b := range qh {
			y[j] = trit(b, pow3[n]) * d
		}
		y = y[4:]
	}
}

// TQ2_0: 64 bytes of 2-bit codes, d (f16). In each 32-byte half, shift 2l
// of byte m is element 32l+m; x = (q-1)·d.
func dequantTQ2_0(dst []float32, src []byte) {
	d := f16(src[64:])
	for h := 0; h < 2; h++ {
		for l := 0; l < 4; l++ {
			y := dst[128*h+32*l:]
			for m, b := range src[32*h : 32*h+32] {
				y[m] = float32(int(b>>uint(2*l)&3)-1) * d
			}
		}
	}
}
