package main

import (
	"math"
	"strconv"
	"strings"
)

// cosDigits is how many decimals diff shows: enough to write --min-cos
// itself, and one more (at least 4). With 0.9999 a head at 0.99987 showed
// as 1.0000 while listed below it.
func cosDigits(minCos float64) int {
	d := 0
	if s := strconv.FormatFloat(minCos, 'f', -1, 64); strings.Contains(s, ".") {
		d = len(s) - strings.Index(s, ".") - 1
	}
	return min(max(d+1, 4), 12)
}

// formatCos writes a cosine with digits decimals. A value below minCos is
// rounded down, so that it never reads as minCos or above.
func formatCos(v, minCos float64, digits int) string {
	if v < minCos && !math.IsInf(v, 0) && !math.IsNaN(v) {
		p := math.Pow(10, float64(digits))
		v = math.Floor(v*p) / p
	}
	return strconv.FormatFloat(v, 'f', digits, 64)
}
