package model

// e2m1 holds the 16 values of an FP4 E2M1 code (MXFP4's elements): sign
// bit 3, then 2 exponent bits and 1 mantissa bit; code 8 is −0.
var e2m1 = [16]float32{0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6}

func init() { e2m1[8] = negZero() }

// negZero returns −0 (a Go constant expression cannot).
func negZero() float32 {
	var z float32
	return -z
}
