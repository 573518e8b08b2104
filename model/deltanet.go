package model

import (
	"math"
	"runtime"
	"sync"
)

// Gated DeltaNet (Yang et al. 2024), the linear-attention token mixer of
// Qwen3-Next and Qwen 3.5, as transformers' torch fallback computes it:
//
//  1. project x to q, k, v (all key heads' q, then k, then all value heads'
//     v: the channel order of the convolution), the output gate z, and per
//     value head b and a;
//  2. a causal depthwise convolution over time on the q/k/v channels, then
//     SiLU;
//  3. per value head h, with key head h / (valueHeads/keyHeads): q and k
//     L2-normalized (eps 1e-6 inside the root), q scaled by keyDim^-1/2,
//     g = -exp(A_log)·softplus(a + dt_bias), β = sigmoid(b), and the state
//     S [keyDim][valueDim], zero at the start of each sequence:
//     S ← exp(g)·S;  S ← S + k ⊗ β(v − Sᵀk);  o = Sᵀq;
//  4. a gated RMSNorm per value head, w · o/rms(o) · silu(z), then out_proj.
//
// The state is per sequence, never per token: the layer holds no cache that
// grows with the context, and has no queries or keys for Q-Filters.
// (transformers' prefill runs the same recurrence in chunks of 64 tokens;
// the two agree to float32 rounding.)

// DeltaNetConfig holds a Gated DeltaNet layer's sizes (config.json's
// linear_* keys).
type DeltaNetConfig struct {
	KeyHeads, ValueHeads int
	KeyDim, ValueDim     int
	ConvKernel           int
}

// convDim is the number of convolved channels: q, k and v.
func (d DeltaNetConfig) convDim() int { return 2*d.KeyHeads*d.KeyDim + d.ValueHeads*d.ValueDim }

// deltaNet is one layer's Gated DeltaNet with its weights.
type deltaNet struct {
	cfg DeltaNetConfig
	// in returns, for rows tokens of x, qkv [rows][convDim], z
	// [rows][valueHeads·valueDim], and b, a [rows][valueHeads].
	in     func(x []float32, rows int) (qkv, z, b, a []float32)
	conv   []float32 // [convDim][ConvKernel]
	aLog   []float32 // [valueHeads]
	dtBias []float32 // [valueHeads]
	norm   []float32 // [valueDim]
	eps    float64
	out    *linear
}

// forward mixes the tokens of the sequences of lengths seqLens held in x
// ([Σ seqLens][hidden], already normalized) and returns out_proj's output.
func (d *deltaNet) forward(x []float32, seqLens []int) []float32 {
	c := d.cfg
	rows := 0
	for _, n := range seqLens {
		rows += n
	}
	qkv, z, b, a := d.in(x, rows)
	cd := c.convDim()
	mixed := make([]float32, len(qkv))
	start := 0
	for _, n := range seqLens {
		causalConvSiLU(mixed[start*cd:(start+n)*cd], qkv[start*cd:(start+n)*cd], n, cd, d.conv, c.ConvKernel)
		start += n
	}
	vw := c.ValueHeads * c.ValueDim
	core := make([]float32, rows*vw)
	type job struct{ first, n, head int }
	var jobs []job
	start = 0
	for _, n := range seqLens {
		for h := 0; h < c.ValueHeads; h++ {
			jobs = append(jobs, job{start, n, h})
		}
		start += n
	}
	each(len(jobs), func(i int) {
		j := jobs[i]
		d.head(core, mixed, b, a, j.first, j.n, j.head)
	})
	gatedRMSNorm(core, z, d.norm, d.eps)
	return d.out.apply(core, rows)
}

// head runs value head h over the n tokens from row first: it gathers the
// head's inputs, runs the recurrence and writes its output into core.
func (d *deltaNet) head(core, mixed, b, a []float32, first, n, h int) {
	c := d.cfg
	cd, dk, dv := c.convDim(), c.KeyDim, c.ValueDim
	kh := h / (c.ValueHeads / c.KeyHeads)
	qOff, kOff, vOff := kh*dk, c.KeyHeads*dk+kh*dk, 2*c.KeyHeads*dk+h*dv
	q := make([]float32, n*dk)
	k := make([]float32, n*dk)
	v := make([]float32, n*dv)
	g := make([]float32, n)
	beta := make([]float32, n)
	aLog := -math.Exp(float64(d.aLog[h]))
	for t := 0; t < n; t++ {
		row := mixed[(first+t)*cd:]
		copy(q[t*dk:(t+1)*dk], row[qOff:qOff+dk])
		copy(k[t*dk:(t+1)*dk], row[kOff:kOff+dk])
		copy(v[t*dv:(t+1)*dv], row[vOff:vOff+dv])
		r := (first+t)*c.ValueHeads + h
		g[t] = float32(aLog * softplus(float64(a[r]+d.dtBias[h])))
		beta[t] = float32(1 / (1 + math.Exp(-float64(b[r]))))
	}
	o := make([]float32, n*dv)
	gatedDeltaRule(o, q, k, v, g, beta, n, dk, dv)
	vw := c.ValueHeads * dv
	for t := 0; t < n; t++ {
		copy(core[(first+t)*vw+h*dv:], o[t*dv:(t+1)*dv])
	}
}

// causalConvSiLU is a causal depthwise convolution over time followed by
// SiLU: dst[t][c] = silu(Σ_j w[c][j]·x[t-(k-1)+j][c]), with x zero before
// the first token. x and dst are [n][ch]; w is [ch][k] (PyTorch's Conv1d
// weight [ch, 1, k]).
func causalConvSiLU(dst, x []float32, n, ch int, w []float32, k int) {
	for t := 0; t < n; t++ {
		for c := 0; c < ch; c++ {
			var s float32
			for j := 0; j < k; j++ {
				src := t - (k - 1) + j
				if src >= 0 {
					s += w[c*k+j] * x[src*ch+c]
				}
			}
			dst[t*ch+c] = silu32(s)
		}
	}
}

// gatedDeltaRule runs the gated delta rule for one head over n tokens: q, k
// [n][dk] (raw: normalized here), v [n][dv], the log-decay g and the write
// strength beta [n]; o [n][dv] receives the outputs. The state starts at
// zero and is kept in float64.
func gatedDeltaRule(o, q, k, v, g, beta []float32, n, dk, dv int) {
	S := make([]float64, dk*dv)
	for t := 0; t < n; t++ {
		deltaStep(S, o[t*dv:(t+1)*dv], q[t*dk:(t+1)*dk], k[t*dk:(t+1)*dk], v[t*dv:(t+1)*dv], g[t], beta[t])
	}
}

// deltaStep advances the state S [dk][dv] by one token and writes its
// output to o [dv].
func deltaStep(S []float64, o, q, k, v []float32, g, beta float32) {
	dk, dv := len(q), len(v)
	qn := make([]float64, dk)
	kn := make([]float64, dk)
	mem := make([]float64, dv)
	out := make([]float64, dv)
	scale := 1 / math.Sqrt(float64(dk))
	l2normInto(qn, q)
	l2normInto(kn, k)
	decay := math.Exp(float64(g))
	for i := range S {
		S[i] *= decay
	}
	for i := 0; i < dk; i++ {
		ki := kn[i]
		row := S[i*dv : (i+1)*dv]
		for j, s := range row {
			mem[j] += s * ki
		}
	}
	bt := float64(beta)
	for j := range mem {
		mem[j] = (float64(v[j]) - mem[j]) * bt // the delta
	}
	for i := 0; i < dk; i++ {
		ki, qi := kn[i], qn[i]*scale
		row := S[i*dv : (i+1)*dv]
		for j := range row {
			row[j] += ki * mem[j]
			out[j] += row[j] * qi
		}
	}
	for j := range o {
		o[j] = float32(out[j])
	}
}

// l2normInto writes x·(Σx² + 1e-6)^-1/2 into dst (the FLA library's l2norm,
// which transformers' fallback reproduces).
func l2normInto(dst []float64, x []float32) {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	inv := 1 / math.Sqrt(ss+1e-6)
	for i, v := range x {
		dst[i] = float64(v) * inv
	}
}

// gatedRMSNorm normalizes x in rows of width len(w): w · x/rms(x) · silu(z),
// in place (Qwen3NextRMSNormGated: the weight is used as is, not 1+w).
func gatedRMSNorm(x, z, w []float32, eps float64) {
	d := len(w)
	for off := 0; off+d <= len(x); off += d {
		row := x[off : off+d]
		var ss float64
		for _, v := range row {
			ss += float64(v) * float64(v)
		}
		inv := float32(1 / math.Sqrt(ss/float64(d)+eps))
		for i, v := range row {
			row[i] = w[i] * (v * inv) * silu32(z[off+i])
		}
	}
}

// softplus is PyTorch's: log(1 + eˣ), x itself above 20.
func softplus(x float64) float64 {
	if x > 20 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

func silu32(x float32) float32 { return x / (1 + float32(math.Exp(float64(-x)))) }

func expf(x float32) float64 { return math.Exp(float64(x)) }

// each runs f(0..n-1) on as many goroutines as Go may use.
func each(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}
