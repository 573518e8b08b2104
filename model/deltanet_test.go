package model

import (
	"math"
	"math/rand"
	"testing"
)

func TestCausalConvSiLU(t *testing.T) {
	// Two channels, kernel 3, four tokens: dst[t][c] = silu(Σ_j w[c][j]·x[t-2+j][c]).
	x := []float32{1, 10, 2, 20, 3, 30, 4, 40}
	w := []float32{1, 2, 3, 0.5, 0, -1}
	got := make([]float32, len(x))
	causalConvSiLU(got, x, 4, 2, w, 3)
	pre := []float32{
		3 * 1, -10, // t=0: only the last tap sees a token
		2*1 + 3*2, 0*10 - 20, // t=1
		1*1 + 2*2 + 3*3, 0.5*10 + 0*20 - 30,
		1*2 + 2*3 + 3*4, 0.5*20 + 0*30 - 40,
	}
	for i, p := range pre {
		if want := silu32(p); math.Abs(float64(got[i]-want)) > 1e-6 {
			t.Errorf("dst[%d] = %v, want silu(%v) = %v", i, got[i], p, want)
		}
	}
}

// TestGatedDeltaRuleRecall: without decay and with β = 1, orthonormal keys
// store their values exactly, and a query equal to a key reads its value
// back (scaled by keyDim^-1/2); writing a key again replaces its value.
func TestGatedDeltaRuleRecall(t *testing.T) {
	const dk, dv = 4, 3
	key := func(i int) []float32 { k := make([]float32, dk); k[i] = 2; return k } // normalized inside
	vals := [][]float32{{1, 2, 3}, {-1, 0, 5}, {7, 7, -7}, {0.5, 0.25, 0}}
	var q, k, v []float32
	for i := range vals {
		k = append(k, key(i)...)
		q = append(q, key(i)...)
		v = append(v, vals[i]...)
	}
	// Overwrite key 1, then read it.
	k = append(k, key(1)...)
	q = append(q, key(1)...)
	v = append(v, 9, 9, 9)
	n := len(vals) + 1
	g, beta := make([]float32, n), make([]float32, n)
	for i := range beta {
		beta[i] = 1
	}
	o := make([]float32, n*dv)
	gatedDeltaRule(o, q, k, v, g, beta, n, dk, dv)
	scale := 1 / math.Sqrt(dk)
	norm := 2 / math.Sqrt(4+1e-6) // l2norm's epsilon
	for p := 0; p < n; p++ {
		want := v[p*dv : (p+1)*dv]
		for j := 0; j < dv; j++ {
			w := float64(want[j]) * scale * norm * norm
			if math.Abs(float64(o[p*dv+j])-w) > 1e-5 {
				t.Fatalf("token %d: o[%d] = %v, want %v", p, j, o[p*dv+j], w)
			}
		}
	}
}

// TestGatedDeltaRuleMatchesChunked compares the recurrence with the chunked
// form transformers' prefill uses (torch_chunk_gated_delta_rule, written
// here in float64 from its definition), over several chunks.
func TestGatedDeltaRuleMatchesChunked(t *testing.T) {
	const n, dk, dv = 150, 8, 6
	r := rand.New(rand.NewSource(3))
	q, k, v := randVec(r, n*dk), randVec(r, n*dk), randVec(r, n*dv)
	g, beta := make([]float32, n), make([]float32, n)
	for i := range g {
		g[i] = float32(-softplus(r.NormFloat64()) * 0.5)
		beta[i] = float32(1 / (1 + math.Exp(-r.NormFloat64())))
	}
	got := make([]float32, n*dv)
	gatedDeltaRule(got, q, k, v, g, beta, n, dk, dv)
	want := chunkedDeltaRule(q, k, v, g, beta, n, dk, dv, 64)
	var num, den float64
	for i := range want {
		num += math.Pow(float64(got[i])-want[i], 2)
		den += want[i] * want[i]
	}
	if e := math.Sqrt(num / den); e > 1e-6 {
		t.Fatalf("recurrent vs chunked: rel err %.3g", e)
	}
}

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// chunkedDeltaRule is the WY-form chunked gated delta rule of
// torch_chunk_gated_delta_rule, one head, float64.
func chunkedDeltaRule(q32, k32, v32, g32, beta32 []float32, n, dk, dv, C int) []float64 {
	pad := (C - n%C) % C
	T := n + pad
	q, k := make([][]float64, T), make([][]float64, T)
	v := make([][]float64, T)
	g, beta := make([]float64, T), make([]float64, T)
	for t := 0; t < T; t++ {
		q[t], k[t], v[t] = make([]float64, dk), make([]float64, dk), make([]float64, dv)
		if t < n {
			l2normInto(q[t], q32[t*dk:(t+1)*dk])
			l2normInto(k[t], k32[t*dk:(t+1)*dk])
			for i := range q[t] {
				q[t][i] /= math.Sqrt(float64(dk))
			}
			for j := range v[t] {
				v[t][j] = float64(v32[t*dv+j])
			}
			g[t], beta[t] = float64(g32[t]), float64(beta32[t])
		}
	}
	dotv := func(a, b []float64) float64 {
		var s float64
		for i := range a {
			s += a[i] * b[i]
		}
		return s
	}
	S := make([][]float64, dk)
	for i := range S {
		S[i] = make([]float64, dv)
	}
	out := make([]float64, n*dv)
	for c0 := 0; c0 < T; c0 += C {
		G := make([]float64, C) // cumulative log decay within the chunk
		for i := 0; i < C; i++ {
			G[i] = g[c0+i]
			if i > 0 {
				G[i] += G[i-1]
			}
		}
		// A = -(kβ Kᵀ ∘ decay) strictly lower, then the forward substitution
		// and + I.
		A := make([][]float64, C)
		for i := range A {
			A[i] = make([]float64, C)
			for j := 0; j < i; j++ {
				A[i][j] = -beta[c0+i] * dotv(k[c0+i], k[c0+j]) * math.Exp(G[i]-G[j])
			}
		}
		for i := 1; i < C; i++ {
			row := append([]float64(nil), A[i][:i]...)
			for j := 0; j < i; j++ {
				var s float64
				for m := 0; m < i; m++ {
					s += row[m] * A[m][j]
				}
				A[i][j] = row[j] + s
			}
		}
		for i := range A {
			A[i][i] = 1
		}
		U := make([][]float64, C) // A (β v)
		W := make([][]float64, C) // A (β k e^G)
		for i := 0; i < C; i++ {
			U[i], W[i] = make([]float64, dv), make([]float64, dk)
			for j := 0; j < C; j++ {
				for x := 0; x < dv; x++ {
					U[i][x] += A[i][j] * beta[c0+j] * v[c0+j][x]
				}
				for x := 0; x < dk; x++ {
					W[i][x] += A[i][j] * beta[c0+j] * k[c0+j][x] * math.Exp(G[j])
				}
			}
		}
		vNew := make([][]float64, C)
		for i := 0; i < C; i++ {
			vNew[i] = make([]float64, dv)
			for x := 0; x < dv; x++ {
				var s float64
				for y := 0; y < dk; y++ {
					s += W[i][y] * S[y][x]
				}
				vNew[i][x] = U[i][x] - s
			}
		}
		for i := 0; i < C && c0+i < n; i++ {
			for x := 0; x < dv; x++ {
				var s float64
				for y := 0; y < dk; y++ {
					s += q[c0+i][y] * math.Exp(G[i]) * S[y][x]
				}
				for j := 0; j <= i; j++ {
					s += dotv(q[c0+i], k[c0+j]) * math.Exp(G[i]-G[j]) * vNew[j][x]
				}
				out[(c0+i)*dv+x] = s
			}
		}
		last := G[C-1]
		for y := 0; y < dk; y++ {
			for x := 0; x < dv; x++ {
				s := S[y][x] * math.Exp(last)
				for j := 0; j < C; j++ {
					s += k[c0+j][y] * math.Exp(last-G[j]) * vNew[j][x]
				}
				S[y][x] = s
			}
		}
	}
	return out
}

func TestGatedRMSNorm(t *testing.T) {
	x := []float32{3, 4, 0, 0}
	z := []float32{0, 1, 2, 3}
	w := []float32{2, 0.5}
	gatedRMSNorm(x, z, w, 0)
	rms := math.Sqrt((9 + 16) / 2.0)
	want := []float64{2 * 3 / rms * 0, 0.5 * 4 / rms * float64(silu32(1)), 0, 0}
	for i := range want {
		if math.Abs(float64(x[i])-want[i]) > 1e-6 {
			t.Errorf("x[%d] = %v, want %v", i, x[i], want[i])
		}
	}
}
