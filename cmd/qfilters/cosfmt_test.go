package main

import (
	"strconv"
	"testing"
)

// TestCosBelowThresholdReadsBelow: a cosine below --min-cos is printed with
// enough digits to read below it (0.99989999 with --min-cos 0.9999 read
// 1.0000 before).
func TestCosBelowThresholdReadsBelow(t *testing.T) {
	for _, c := range []struct {
		v, min float64
		want   string
	}{
		{0.99989999, 0.9999, "0.99989"},
		{0.99987, 0.9999, "0.99987"},
		{0.99995, 0.9999, "0.99995"},
		{0.5, 0.9, "0.5000"},
		{0.9999999, 0.999999, "0.9999999"},
		{-1, 0.9, "-1.0000"},
	} {
		got := formatCos(c.v, c.min, cosDigits(c.min))
		if got != c.want {
			t.Errorf("%v with --min-cos %v: %q, want %q", c.v, c.min, got, c.want)
		}
		if c.v < c.min {
			if shown, _ := strconv.ParseFloat(got, 64); shown >= c.min {
				t.Errorf("%v shows as %s, not below %v", c.v, got, c.min)
			}
		}
	}
}
