package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// refAttentionLive is refAttention where query i sees key j only while
// i < until[g][j].
func refAttentionLive(q, k, v []float32, seq, heads, kvHeads, d int, o AttentionOpts, until [][]int32) (out, mag []float64) {
	out = make([]float64, seq*heads*d)
	mag = make([]float64, seq*heads*d)
	ldq, ldk := heads*d, kvHeads*d
	s := make([]float64, seq)
	for h := 0; h < heads; h++ {
		g := h / (heads / kvHeads)
		for i := 0; i < seq; i++ {
			mx := math.Inf(-1)
			for j := 0; j <= i; j++ {
				s[j] = math.Inf(-1)
				if (o.Window > 0 && j <= i-o.Window) || i >= int(until[g][j]) {
					continue
				}
				var x float64
				for c := 0; c < d; c++ {
					x += float64(q[i*ldq+h*d+c]) * float64(k[j*ldk+g*d+c])
				}
				x *= float64(o.Scale)
				if o.SoftCap > 0 {
					x = float64(o.SoftCap) * math.Tanh(x/float64(o.SoftCap))
				}
				s[j] = x
				mx = math.Max(mx, x)
			}
			var den float64
			if o.Sinks != nil { // one more logit in the denominator
				mx = math.Max(mx, float64(o.Sinks[h]))
				den = math.Exp(float64(o.Sinks[h]) - mx)
			}
			for j := 0; j <= i; j++ {
				s[j] = math.Exp(s[j] - mx)
				den += s[j]
			}
			for j := 0; j <= i; j++ {
				p := s[j] / den
				for c := 0; c < d; c++ {
					x := float64(v[j*ldk+g*d+c])
					out[i*ldq+h*d+c] += p * x
					mag[i*ldq+h*d+c] += p * math.Abs(x)
				}
			}
		}
	}
	return
}

// TestAttentionLive checks the lifetime-masked attention against the float64
// reference on every path: lifetimes that evict most old keys (a capped
// cache), none (Attention's result), and a key seen by its own query only,
// with grouped heads, soft-capping and sliding windows.
func TestAttentionLive(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	type cfg struct {
		heads, kvHeads, d int
		opts              AttentionOpts
	}
	cfgs := []cfg{
		{2, 2, 16, AttentionOpts{Scale: 0.25}},
		{4, 2, 64, AttentionOpts{Scale: 0.125}},
		{4, 1, 33, AttentionOpts{Scale: 0.3, SoftCap: 5}},
		{2, 1, 64, AttentionOpts{Scale: 0.125, Window: 37}},
		{4, 2, 80, AttentionOpts{Scale: 0.1, SoftCap: 4, Window: 50, Sinks: []float32{0.5, -1, 12, -40}}},
	}
	lifetimes := map[string]func(j, seq int) int32{
		"capped": func(j, seq int) int32 {
			if r.IntN(8) == 0 {
				return math.MaxInt32
			}
			return int32(j + 1 + r.IntN(40))
		},
		"forever": func(j, seq int) int32 { return math.MaxInt32 },
		"own":     func(j, seq int) int32 { return int32(j + 1 + r.IntN(2)) },
		// Keys 0..255 seen by query 256 only: the block of queries 256..319
		// gathers more keys than one chunk, and the first chunk is all
		// masked for its later queries.
		"wave": func(j, seq int) int32 {
			if j < 256 {
				return 257
			}
			return math.MaxInt32
		},
	}
	forPaths(t, func(t *testing.T) {
		for _, c := range cfgs {
			for _, seq := range []int{1, 5, 100, 300} {
				for name, life := range lifetimes {
					q := randSlice(r, seq*c.heads*c.d)
					k := randSlice(r, seq*c.kvHeads*c.d)
					v := randSlice(r, seq*c.kvHeads*c.d)
					until := make([][]int32, c.kvHeads)
					for g := range until {
						until[g] = make([]int32, seq)
						for j := range until[g] {
							until[g][j] = life(j, seq)
						}
					}
					ref, mag := refAttentionLive(q, k, v, seq, c.heads, c.kvHeads, c.d, c.opts, until)
					out := poisoned(seq * c.heads * c.d)
					AttentionLive(out, q, k, v, seq, c.heads, c.kvHeads, c.d, c.opts, until)
					label := fmt.Sprintf("%s seq=%d %+v", name, seq, c)
					bad := 0
					for i := range ref {
						g := float64(out[i])
						if math.IsNaN(g) || math.Abs(g-ref[i]) > 1e-5*mag[i]+1e-30 {
							if bad < 3 {
								t.Errorf("%s: element %d = %v, want %v (mag %v)", label, i, g, ref[i], mag[i])
							}
							bad++
						}
					}
				}
			}
		}
	})
}

func TestAttentionLiveRefusesKeysDeadBeforeTheirQuery(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a key that dies at its own position")
		}
	}()
	q := make([]float32, 3*2)
	AttentionLive(make([]float32, 6), q, q, q, 3, 1, 1, 2, AttentionOpts{Scale: 1}, [][]int32{{1, 1, 3}})
}

// TestAttentionLiveChecksSinks: too few sink logits are refused up front, as
// Attention refuses them, not found out of range inside a worker.
func TestAttentionLiveChecksSinks(t *testing.T) {
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "sinks") {
			t.Errorf("panic %q, want one naming the sinks", msg)
		}
	}()
	q := make([]float32, 3*2*2)
	AttentionLive(make([]float32, len(q)), q, q[:6], q[:6], 3, 2, 1, 2,
		AttentionOpts{Scale: 1, Sinks: []float32{1}}, [][]int32{{9, 9, 9}})
}
