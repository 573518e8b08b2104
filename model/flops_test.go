package model

import "testing"

// TestCalibrationFLOPs checks the count on a hand-computed case: hidden 4,
// 2 heads of 2 (q width 4), 1 kv head (kv width 2), intermediate 8, 3 layers,
// 1 sequence of 3 tokens.
func TestCalibrationFLOPs(t *testing.T) {
	c := &Config{Hidden: 4, Heads: 2, KVHeads: 1, HeadDim: 2, Intermediate: 8, Layers: 3}
	// Per full layer: q,k,v 2·3·4·(4+2+2) = 192; o 2·3·4·4 = 96;
	// attention 2·2·(3·4/2)·4 = 96; MLP 3·2·3·4·8 = 576. Sum 960.
	// Two full layers and the last one's q projection (2·3·4·4 = 96).
	if got, want := c.CalibrationFLOPs(1, 3), 2*960.0+96; got != want {
		t.Errorf("CalibrationFLOPs = %v, want %v", got, want)
	}
	moe := *c
	moe.Experts, moe.ExpertsPerToken, moe.ExpertIntermediate = 8, 2, 4
	// MoE MLP: 3·2·3·4·4·2 = 576, same as the dense one here.
	if got, want := moe.CalibrationFLOPs(1, 3), 2*960.0+96; got != want {
		t.Errorf("MoE CalibrationFLOPs = %v, want %v", got, want)
	}
}
