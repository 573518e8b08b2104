package model

// Decoding a Gated DeltaNet layer one token at a time: what it carries from
// token to token is a fixed-size state, never a cache that grows.

// LinearState is a linear-attention layer's state while decoding: the last
// ConvKernel-1 inputs of the convolution and the delta rule's state per
// value head.
type LinearState struct {
	conv []float32   // [ConvKernel-1][convDim], oldest first
	s    [][]float64 // [valueHeads][keyDim·valueDim]
}

func newLinearState(d DeltaNetConfig) *LinearState {
	st := &LinearState{conv: make([]float32, (d.ConvKernel-1)*d.convDim()), s: make([][]float64, d.ValueHeads)}
	for h := range st.s {
		st.s[h] = make([]float64, d.KeyDim*d.ValueDim)
	}
	return st
}

// stepLinear is Forward for one token of a linear-attention layer.
func (l *Layer) stepLinear(h []float32, st *LinearState) {
	x := h
	if l.attnNorm != nil {
		x = append([]float32(nil), h...)
		l.attnNorm.apply(x)
	}
	l.finish(h, l.delta.step(x, st), 1)
}

// step mixes one token (x [hidden], normalized) against the state st,
// which it advances, and returns out_proj's output.
func (d *deltaNet) step(x []float32, st *LinearState) []float32 {
	c := d.cfg
	qkv, z, b, a := d.in(x, 1)
	cd, k := c.convDim(), c.ConvKernel
	// The convolution over the kept inputs and this one.
	window := append(append([]float32(nil), st.conv...), qkv...)
	mixed := make([]float32, k*cd)
	causalConvSiLU(mixed, window, k, cd, d.conv, k)
	mixed = mixed[(k-1)*cd:] // the output at this token
	copy(st.conv, window[cd:])
	dk, dv := c.KeyDim, c.ValueDim
	rep := c.ValueHeads / c.KeyHeads
	core := make([]float32, c.ValueHeads*dv)
	for hd := 0; hd < c.ValueHeads; hd++ {
		kh := hd / rep
		q := mixed[kh*dk : (kh+1)*dk]
		kk := mixed[c.KeyHeads*dk+kh*dk : c.KeyHeads*dk+(kh+1)*dk]
		v := mixed[2*c.KeyHeads*dk+hd*dv : 2*c.KeyHeads*dk+(hd+1)*dv]
		g := float32(-expf(d.aLog[hd]) * softplus(float64(a[hd]+d.dtBias[hd])))
		beta := float32(1 / (1 + expf(-b[hd])))
		deltaStep(st.s[hd], core[hd*dv:(hd+1)*dv], q, kk, v, g, beta)
	}
	gatedRMSNorm(core, z, d.norm, d.eps)
	return d.out.apply(core, 1)
}
