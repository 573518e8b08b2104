package kernels

// DotsF64 sets dst[j] to the dot product of q with row j of k (row-major,
// rows of len(q)), for j < len(dst), in float64: the attention logits the
// evaluation's recall needs in full precision. On amd64 with AVX2 and FMA
// (any path but Generic) it runs four rows at a time, four lanes wide, with
// fused multiply-adds: the sums then differ from a sequential loop's by
// rounding only.
func DotsF64(dst, q, k []float64) {
	d := len(q)
	checkLen("k", len(k), len(dst)*d)
	if len(dst) == 0 {
		return
	}
	if dotsF64Asm(dst, q, k) {
		return
	}
	dotsF64Go(dst, q, k)
}

// dotsF64Go is DotsF64 in plain Go: each sum in order over the dimensions.
func dotsF64Go(dst, q, k []float64) {
	d := len(q)
	j := 0
	for ; j+4 <= len(dst); j += 4 {
		k0 := k[j*d : j*d+d][:len(q)] // (the reslices drop the bounds checks)
		k1 := k[j*d+d : j*d+2*d][:len(q)]
		k2 := k[j*d+2*d : j*d+3*d][:len(q)]
		k3 := k[j*d+3*d : j*d+4*d][:len(q)]
		var s0, s1, s2, s3 float64
		for t, x := range q {
			s0 += x * k0[t]
			s1 += x * k1[t]
			s2 += x * k2[t]
			s3 += x * k3[t]
		}
		dst[j], dst[j+1], dst[j+2], dst[j+3] = s0, s1, s2, s3
	}
	for ; j < len(dst); j++ {
		kj := k[j*d : j*d+d][:len(q)]
		var s float64
		for t, x := range q {
			s += x * kj[t]
		}
		dst[j] = s
	}
}
