package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// hugeWindow is a window of 2³²+3 keys (a variable: int may be 32 bits).
var hugeWindow = uint64(1<<32 + 3)

// TestAttentionEdges runs Attention, and AttentionLive with lifetimes that
// keep every key, against the float64 reference on every path: head
// dimensions that are not multiples of the vector width or tile, GQA ratios,
// windows of 1, of the sequence and beyond it, soft-capping and sinks,
// sequences of 1 and around the query and key block sizes.
func TestAttentionEdges(t *testing.T) {
	// A window past 32 bits once reached the assembly softmax truncated.
	r := rand.New(rand.NewPCG(61, 62))
	type cfg struct {
		heads, kvHeads, d int
		opts              AttentionOpts
	}
	cfgs := []cfg{
		{2, 1, 80, AttentionOpts{Scale: 0.11}},
		{4, 1, 96, AttentionOpts{Scale: 0.1, Window: 1}},
		{8, 1, 112, AttentionOpts{Scale: 0.09, SoftCap: 4, Window: 2}},
		{2, 2, 256, AttentionOpts{Scale: 0.06, Window: 300}},
		{2, 1, 512, AttentionOpts{Scale: 0.04, Sinks: []float32{1, -2}}},
		{3, 3, 1, AttentionOpts{Scale: 1, Window: 65}},
		{4, 2, 7, AttentionOpts{Scale: 0.5, SoftCap: 2, Window: 64, Sinks: []float32{0, 3, -5, 20}}},
		{2, 1, 48, AttentionOpts{Scale: 0.15, Window: math.MaxInt32}},
		{2, 1, 40, AttentionOpts{Scale: 0.15, Window: int(hugeWindow)}}, // 3 on 32-bit CPUs
	}
	forPaths(t, func(t *testing.T) {
		for _, c := range cfgs {
			for _, seq := range []int{1, 2, 63, 65, 229, 300} {
				if c.d >= 256 && seq > 65 {
					continue
				}
				q := randSlice(r, seq*c.heads*c.d)
				k := randSlice(r, seq*c.kvHeads*c.d)
				v := randSlice(r, seq*c.kvHeads*c.d)
				ref, mag := refAttention(q, k, v, seq, c.heads, c.kvHeads, c.d, c.opts)
				name := fmt.Sprintf("seq=%d %+v", seq, c)
				out := poisoned(seq * c.heads * c.d)
				Attention(out, q, k, v, seq, c.heads, c.kvHeads, c.d, c.opts)
				checkAttention(t, name, out, ref, mag)

				until := make([][]int32, c.kvHeads)
				for g := range until {
					until[g] = make([]int32, seq)
					for j := range until[g] {
						until[g][j] = int32(seq + r.IntN(3)) // past the last query: kept
					}
				}
				out = poisoned(seq * c.heads * c.d)
				AttentionLive(out, q, k, v, seq, c.heads, c.kvHeads, c.d, c.opts, until)
				checkAttention(t, "live "+name, out, ref, mag)
			}
		}
	})
}

func checkAttention(t *testing.T, name string, got []float32, ref, mag []float64) {
	t.Helper()
	bad := 0
	for i := range ref {
		g := float64(got[i])
		if math.IsNaN(g) || math.Abs(g-ref[i]) > 1e-5*mag[i]+1e-30 {
			if bad < 3 {
				t.Errorf("%s: element %d = %v, want %v (mag %v)", name, i, g, ref[i], mag[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d bad elements of %d", name, bad, len(ref))
	}
}
