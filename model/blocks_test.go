package model

import (
	"math"
	"testing"
)

// TestRotationLayout: a rotation built in the rotate_half convention from
// RotaryTable, moved by RotationLayout, turns a head vector exactly as the
// forward pass's interleaved RoPE does (GLM-4: partial rotary 0.5).
func TestRotationLayout(t *testing.T) {
	m, err := Open(archDir(t, "glm4"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := m.Config
	d, pos := c.HeadDim, 7
	rotary, cos, sin := c.RotaryTable(0, pos, pos+1)
	half := rotary / 2
	R := make([]float64, d*d)
	for i := rotary; i < d; i++ {
		R[i*d+i] = 1
	}
	for i := 0; i < half; i++ {
		co, si := float64(cos[i]), float64(sin[i])
		R[i*d+i], R[i*d+i+half] = co, -si
		R[(i+half)*d+i], R[(i+half)*d+i+half] = si, co
	}
	R = c.RotationLayout(R, d, rotary)
	x := make([]float32, d)
	for i := range x {
		x[i] = float32(math.Sin(float64(3*i + 1)))
	}
	want := make([]float64, d)
	for a := 0; a < d; a++ {
		for b := 0; b < d; b++ {
			want[a] += R[a*d+b] * float64(x[b])
		}
	}
	r := newRope(c.Rope[0], d)
	r.interleaved = c.RopeInterleaved
	cs, sn := r.table(pos, pos+1)
	r.apply(x, 1, 1, d, cs, sn)
	for i := range x {
		if math.Abs(float64(x[i])-want[i]) > 1e-6 {
			t.Fatalf("dimension %d: RoPE %v, moved rotation %v", i, x[i], want[i])
		}
	}
}

// TestRotaryTableNoPE: a NoPE layer rotates nothing.
func TestRotaryTableNoPE(t *testing.T) {
	m, err := Open(archDir(t, "smollm3"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if r, cos, _ := m.Config.RotaryTable(1, 0, 4); r != 0 || cos != nil {
		t.Errorf("NoPE layer 1: rotary %d, %d cos entries; want 0, none", r, len(cos))
	}
	if r, _, _ := m.Config.RotaryTable(0, 0, 4); r != m.Config.HeadDim {
		t.Errorf("RoPE layer 0: rotary %d, want %d", r, m.Config.HeadDim)
	}
}
