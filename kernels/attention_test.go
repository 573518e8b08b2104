package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// refAttention is the textbook computation in float64: full score rows,
// masked, softmax, weighted sum. It also returns Σ p·|v| per output element
// for the error bound.
func refAttention(q, k, v []float32, seq, heads, kvHeads, d int, o AttentionOpts) (out, mag []float64) {
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
				if o.Window > 0 && j <= i-o.Window {
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

func TestAttention(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	type cfg struct {
		heads, kvHeads, d int
		opts              AttentionOpts
	}
	cfgs := []cfg{
		{2, 2, 16, AttentionOpts{Scale: 0.25}},
		{4, 2, 64, AttentionOpts{Scale: 0.125}},
		{4, 1, 33, AttentionOpts{Scale: 0.3, SoftCap: 5}},
		{2, 1, 64, AttentionOpts{Scale: 0.125, Window: 37}},
		{6, 3, 24, AttentionOpts{Scale: 0.2, SoftCap: 3, Window: 64}},
		// gpt-oss: sinks per query head, small, dominant and negligible.
		{4, 2, 64, AttentionOpts{Scale: 0.125, Sinks: []float32{0.5, -1, 12, -40}}},
		{4, 2, 16, AttentionOpts{Scale: 0.25, Window: 37, Sinks: []float32{2, 0, 30, -3}}},
	}
	forPaths(t, func(t *testing.T) {
		for _, c := range cfgs {
			for _, seq := range []int{1, 5, 100, 300} {
				q := randSlice(r, seq*c.heads*c.d)
				k := randSlice(r, seq*c.kvHeads*c.d)
				v := randSlice(r, seq*c.kvHeads*c.d)
				ref, mag := refAttention(q, k, v, seq, c.heads, c.kvHeads, c.d, c.opts)
				out := poisoned(seq * c.heads * c.d)
				Attention(out, q, k, v, seq, c.heads, c.kvHeads, c.d, c.opts)
				name := fmt.Sprintf("seq=%d %+v", seq, c)
				bad := 0
				for i := range ref {
					g := float64(out[i])
					if math.IsNaN(g) || math.Abs(g-ref[i]) > 1e-5*mag[i]+1e-30 {
						if bad < 3 {
							t.Errorf("%s: element %d = %v, want %v (mag %v)", name, i, g, ref[i], mag[i])
						}
						bad++
					}
				}
			}
		}
	})
}

func TestExpNeg(t *testing.T) {
	worst := 0.0
	for x := float32(-87); x <= 0; x += 0.00137 {
		want := math.Exp(float64(x))
		worst = math.Max(worst, math.Abs(float64(expNeg(x))-want)/want)
	}
	if worst > 3e-7 {
		t.Errorf("expNeg relative error %g", worst)
	}
	if expNeg(float32(math.Inf(-1))) != 0 || expNeg(-100) != 0 {
		t.Error("expNeg of very negative input is not 0")
	}
}

func TestExpSubSum(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	forPaths(t, func(t *testing.T) {
		for _, n := range []int{1, 5, 16, 17, 100} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(-30 * r.Float64())
			}
			x[0] = float32(math.Inf(-1))
			want := make([]float64, n)
			var wsum float64
			for i, v := range x {
				want[i] = math.Exp(float64(v - 1)) // the subtraction is float32, as in attention
				wsum += want[i]
			}
			sum := expSubSum(x, 1)
			for i := range x {
				if math.Abs(float64(x[i])-want[i]) > 3e-7*want[i]+1e-37 {
					t.Errorf("n=%d: exp[%d] = %v, want %v", n, i, x[i], want[i])
				}
			}
			if math.Abs(float64(sum)-wsum) > 1e-6*wsum+1e-37 {
				t.Errorf("n=%d: sum %v, want %v", n, sum, wsum)
			}
		}
	})
}

// TestSoftmaxStrip compares the path's softmaxStrip (assembly where the path
// has it, for its strip width) with softmaxStripGo on the same panel: scaled
// and masked scores, fully masked lanes, running maxima that grow or not.
func TestSoftmaxStrip(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	forPaths(t, func(t *testing.T) {
		ks := current()
		w := ks.nr
		if ks.path == AVX512 {
			w = 16
		}
		const ld = 32
		for _, c := range []struct {
			nk, dpad, qi0, kj0, window int
			masked                     bool
			mInit                      float32
		}{
			{1, 0, 0, 0, 1 << 30, false, float32(math.Inf(-1))},
			{14, 8, 40, 20, 1 << 30, false, float32(math.Inf(-1))},
			{30, 13, 40, 20, 1 << 30, false, 2},                   // old max above the new scores: corr 1
			{30, 13, 25, 20, 1 << 30, true, -1},                   // causal mask inside the panel
			{30, 5, 10, 20, 1 << 30, true, float32(math.Inf(-1))}, // lanes fully masked
			{28, 6, 60, 20, 30, true, 0.5},                        // sliding window
		} {
			s := make([]float32, c.nk*ld)
			for i := range s {
				s[i] = float32(r.NormFloat64() * 3)
			}
			o := make([]float32, max(c.dpad, 1)*ld)
			for i := range o {
				o[i] = float32(r.NormFloat64())
			}
			m := make([]float32, w)
			l := make([]float64, w)
			for i := range m {
				m[i], l[i] = c.mInit, float64(i%3)
			}
			s2, o2, m2, l2 := slices.Clone(s), slices.Clone(o), slices.Clone(m), slices.Clone(l)
			softmaxStrip(s, c.nk, ld, w, m, l, o, c.dpad, 0.7, c.qi0, c.kj0, c.window, c.masked)
			softmaxStripGo(s2, c.nk, ld, w, m2, l2, o2, c.dpad, 0.7, c.qi0, c.kj0, c.window, c.masked)
			close := func(name string, i int, a, b float64) {
				if !(a == b || math.Abs(a-b) <= 4e-7*math.Abs(b)) {
					t.Errorf("%+v %s[%d] = %v, want %v", c, name, i, a, b)
				}
			}
			for i := range s {
				close("s", i, float64(s[i]), float64(s2[i]))
			}
			for i := range o {
				close("o", i, float64(o[i]), float64(o2[i]))
			}
			for i := range m {
				close("m", i, float64(m[i]), float64(m2[i]))
				close("l", i, l[i], l2[i])
			}
		}
	})
}
