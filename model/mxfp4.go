package model

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/qfilters/qfilters/kernels"
	"github.com/qfilters/qfilters/safetensors"
)

// MXFP4 weights (gpt-oss's published experts): X_blocks [E, R, G, 16] U8
// holds two E2M1 codes per byte (low nibble first) for rows of G·32 values,
// X_scales [E, R, G] U8 one E8M0 exponent (2^(s−127)) per 32 values. The
// view below presents each pair as the tensor X that transformers builds
// from it, [E, G·32, R] (the dequantized rows transposed), in BF16: every
// E2M1 value times a power of two is exact there, so it is also the float32
// value, bit for bit. Tensors are dequantized when read, one at a time.
type mxfp4View struct {
	Weights
	packed map[string]mxfp4Pair // presented name -> its pair
	names  []string
}

type mxfp4Pair struct {
	blocks, scales  string
	e, rows, groups int
}

// mxfp4View wraps w when it holds *_blocks / *_scales pairs, checking their
// dtypes and shapes from the headers.
func newMXFP4View(w Weights) (Weights, error) {
	packed := map[string]mxfp4Pair{}
	hidden := map[string]bool{}
	for _, n := range w.Names() {
		x, ok := strings.CutSuffix(n, "_blocks")
		if !ok {
			continue
		}
		sn := x + "_scales"
		bdt, bs, _ := w.Info(n)
		sdt, ss, ok := w.Info(sn)
		if !ok {
			return nil, fmt.Errorf("MXFP4 tensor %s has no %s beside it", n, sn)
		}
		if bdt != safetensors.U8 || len(bs) != 4 || bs[3] != 16 {
			return nil, fmt.Errorf("MXFP4 blocks %s: dtype %s shape %v; expected U8 [experts, rows, groups, 16]", n, bdt, bs)
		}
		if sdt != safetensors.U8 {
			return nil, fmt.Errorf("MXFP4 scales %s: dtype %s; expected U8 (E8M0 exponents)", sn, sdt)
		}
		if !slices.Equal(ss, bs[:3]) {
			return nil, fmt.Errorf("MXFP4 scales %s: shape %v; blocks %s of shape %v need %v", sn, ss, n, bs, bs[:3])
		}
		if hasTensor(w, x) {
			return nil, fmt.Errorf("the checkpoint holds %s both dequantized and as MXFP4 blocks", x)
		}
		packed[x] = mxfp4Pair{blocks: n, scales: sn, e: bs[0], rows: bs[1], groups: bs[2]}
		hidden[n], hidden[sn] = true, true
	}
	if len(packed) == 0 {
		return w, nil
	}
	v := &mxfp4View{Weights: w, packed: packed}
	for _, n := range w.Names() {
		if !hidden[n] {
			v.names = append(v.names, n)
		}
	}
	for x := range packed {
		v.names = append(v.names, x)
	}
	slices.Sort(v.names)
	return v, nil
}

func (v *mxfp4View) Names() []string { return v.names }

func (v *mxfp4View) Info(name string) (safetensors.DType, []int, bool) {
	if p, ok := v.packed[name]; ok {
		return safetensors.BF16, []int{p.e, p.groups * 32, p.rows}, true
	}
	if strings.HasSuffix(name, "_blocks") || strings.HasSuffix(name, "_scales") {
		if _, ok := v.packed[name[:len(name)-7]]; ok {
			return "", nil, false
		}
	}
	return v.Weights.Info(name)
}

// Tensor returns a presented tensor as transformers holds it, [E, G·32, R]
// BF16; other tensors pass through.
func (v *mxfp4View) Tensor(name string) (safetensors.Tensor, error) {
	p, ok := v.packed[name]
	if !ok {
		return v.Weights.Tensor(name)
	}
	blocks, scales, err := v.read(p)
	if err != nil {
		return safetensors.Tensor{}, err
	}
	cols := p.groups * 32
	out := make([]byte, 2*p.e*cols*p.rows)
	row := make([]uint16, cols)
	for e := 0; e < p.e; e++ {
		for r := 0; r < p.rows; r++ {
			if err := dequantRow(row, blocks, scales, p, e, r); err != nil {
				return safetensors.Tensor{}, err
			}
			for c, x := range row { // transposed: element (c, r) of expert e
				binary.LittleEndian.PutUint16(out[2*((e*cols+c)*p.rows+r):], x)
			}
		}
	}
	return safetensors.Tensor{Name: name, DType: safetensors.BF16, Shape: []int{p.e, cols, p.rows}, Data: out}, nil
}

// packedExperts is one presented tensor's blocks and scales, read and
// checked: each expert dequantizes without error when its layer runs.
type packedExperts struct {
	p              mxfp4Pair
	blocks, scales []byte
}

// packedTensor reads and checks the pair behind a presented tensor; ok is false
// for tensors that are not MXFP4.
func (v *mxfp4View) packedTensor(name string) (pe *packedExperts, ok bool, err error) {
	p, ok := v.packed[name]
	if !ok {
		return nil, false, nil
	}
	blocks, scales, err := v.read(p)
	if err != nil {
		return nil, true, err
	}
	pe = &packedExperts{p: p, blocks: blocks, scales: scales}
	return pe, true, pe.check()
}

// check refuses a scale of 255 (E8M0's NaN) and values that overflow
// float32 (only possible under scales 253 and 254), naming the first.
func (pe *packedExperts) check() error {
	p := pe.p
	row := make([]uint16, p.groups*32)
	for i, s := range pe.scales {
		if s < 253 {
			continue
		}
		e, r := i/(p.groups*p.rows), (i/p.groups)%p.rows
		if err := dequantRow(row, pe.blocks, pe.scales, p, e, r); err != nil {
			return err
		}
		for c, x := range row {
			if x&0x7f80 == 0x7f80 {
				return fmt.Errorf("MXFP4 tensor %s: expert %d row %d column %d overflows float32 (scale %d)", p.blocks, e, r, c, s)
			}
		}
	}
	return nil
}

// matrix returns expert e as a [R][G·32] BF16 matrix (a linear layer's
// weight layout): the rows transformers transposes, as they are.
func (pe *packedExperts) matrix(e int) kernels.Matrix {
	p := pe.p
	cols := p.groups * 32
	out := make([]byte, 2*p.rows*cols)
	parallelRows(p.rows, func(lo, hi int) {
		row := make([]uint16, cols)
		for r := lo; r < hi; r++ {
			dequantRow(row, pe.blocks, pe.scales, p, e, r) // checked: no error
			for c, x := range row {
				binary.LittleEndian.PutUint16(out[2*(r*cols+c):], x)
			}
		}
	})
	return kernels.Matrix{Rows: p.rows, Cols: cols, DType: kernels.BF16, Data: out}
}

// parallelRows splits rows [0, n) over the cores.
func parallelRows(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), max(n/64, 1))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(w*n/workers, (w+1)*n/workers)
	}
	wg.Wait()
}

func (v *mxfp4View) read(p mxfp4Pair) (blocks, scales []byte, err error) {
	b, err := v.Weights.Tensor(p.blocks)
	if err != nil {
		return nil, nil, err
	}
	s, err := v.Weights.Tensor(p.scales)
	if err != nil {
		return nil, nil, err
	}
	if len(b.Data) != p.e*p.rows*p.groups*16 || len(s.Data) != p.e*p.rows*p.groups {
		return nil, nil, fmt.Errorf("MXFP4 tensors %s / %s: %d / %d bytes for their shapes", p.blocks, p.scales, len(b.Data), len(s.Data))
	}
	return b.Data, s.Data, nil
}

// dequantRow writes row r of expert e as BF16 bits: code × 2^(scale−127),
// exact in BF16 (and float32) for every scale but 255, E8M0's NaN.
func dequantRow(dst []uint16, blocks, scales []byte, p mxfp4Pair, e, r int) error {
	base := (e*p.rows + r) * p.groups
	for g := 0; g < p.groups; g++ {
		s := scales[base+g]
		if s == 255 {
			return fmt.Errorf("MXFP4 scales %s: expert %d row %d group %d is 255, E8M0's NaN", p.scales, e, r, g)
		}
		var tbl [16]uint16
		f := float32(math.Ldexp(1, int(s)-127))
		for i, x := range e2m1 {
			tbl[i] = uint16(math.Float32bits(x*f) >> 16)
		}
		src := blocks[(base+g)*16 : (base+g+1)*16]
		out := dst[g*32 : g*32+32]
		for i, b := range src {
			out[2*i] = tbl[b&15]
			out[2*i+1] = tbl[b>>4]
		}
	}
	return nil
}
