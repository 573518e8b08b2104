//go:build !amd64

package kernels

// expSubSum replaces x[j] with e^(x[j]−m) (all x[j] ≤ m) and returns their sum.
func expSubSum(x []float32, m float32) float32 { return expSubSumGo(x, m) }
