package kernels

import "math"

// expNeg returns e^x for x ≤ 0 in float32 to within about 2 ulp. Softmax only
// ever exponentiates score − running max, which is ≤ 0, and calls it once
// per score: math.Exp (float64, full range) would cost more than the matrix
// products of attention. Range reduction x = n·ln2 + r with |r| ≤ ln2/2, then
// a degree-7 Taylor polynomial (truncation error < 1e-8), then scaling by 2ⁿ
// through the exponent bits.
func expNeg(x float32) float32 {
	if !(x > -87.33) { // also catches -Inf and NaN-free masked scores
		return 0
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693145751953125 // ln2 split so n·ln2hi is exact
		ln2lo = 1.42860682030941723e-6
	)
	n := int32(x*log2e - 0.5) // round to nearest for x ≤ 0
	fn := float32(n)
	r := (x - fn*ln2hi) - fn*ln2lo
	p := float32(1.0 / 5040)
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	return p * math.Float32frombits(uint32(n+127)<<23)
}

// expSubSumGo is the portable expSubSum.
func expSubSumGo(x []float32, m float32) float32 {
	var sum float32
	for j, v := range x {
		p := expNeg(v - m)
		x[j] = p
		sum += p
	}
	return sum
}
