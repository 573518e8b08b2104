package model

import (
	"fmt"
	"math"
	"sort"

	"github.com/qfilters/qfilters/kernels"
	"github.com/qfilters/qfilters/safetensors"
)

// gpt-oss (GptOssForCausalLM): the Llama layout with biases on every
// attention projection (GptOssConfig forces attention_bias), learned
// per-head attention sinks (self_attn.sinks, one more logit in every softmax
// denominator), sliding (even layers by default) and full layers, YaRN, and
// a MoE MLP of its own (gptOssMoE).
var gptOssFamily = func() *family {
	f := *llamaFamily
	f.modelTypes = []string{"gpt_oss"}
	f.sinks = "self_attn.sinks"
	f.gate, f.up, f.down = "", "", ""
	f.customMLP = loadGptOssMoE
	f.configure = func(c *Config) error {
		c.AttentionBias = true // GptOssConfig sets it whatever config.json says
		if c.Experts == 0 {
			return fmt.Errorf("gpt_oss needs num_local_experts")
		}
		return nil
	}
	// GptOssConfig's defaults.
	f.classDefaults = map[string]any{"sliding_window": 128.0, "rms_norm_eps": 1e-5, "rope_theta": 150000.0,
		"num_local_experts": 128.0, "num_experts_per_tok": 4.0,
		"rope_parameters": map[string]any{"rope_type": "yarn", "factor": 32.0, "beta_fast": 32.0, "beta_slow": 1.0,
			"truncate": false, "original_max_position_embeddings": 4096.0}}
	return &f
}()

func init() { register(gptOssFamily) }

// The experts' activation constants, fixed in transformers' GptOssExperts
// (config.json's swiglu_limit is not read there).
const (
	gptOssAlpha = 1.702
	gptOssLimit = 7.0
)

// gptOssMoE routes each token to the experts of its top-k router logits
// (the router has a bias), weighted by the softmax of those k logits. An
// expert computes gate_up = x·W + b with gate and up interleaved (even and
// odd columns), clamps gate above at 7 and up to ±7, and returns
// down((up + 1) · gate·σ(1.702·gate)) + b.
type gptOssMoE struct {
	router  *linear
	gateUp  *expertSet // [2·inter][hidden] per expert, rows interleaved gate/up
	down    *expertSet // [hidden][inter] per expert
	topK    int
	hidden  int
	inter   int
	experts int
}

// expertSet is one fused expert tensor as E linear layers, either
// materialized or, for MXFP4, dequantized when an expert runs (only the
// packed 4-bit codes stay in memory).
type expertSet struct {
	ls     []*linear
	packed *packedExperts
	bias   []float32 // [E][out]
	out    int
	bf16   bool
}

func (s *expertSet) get(e int) *linear {
	if s.packed == nil {
		return s.ls[e]
	}
	return &linear{w: s.packed.matrix(e), bias: s.bias[e*s.out : (e+1)*s.out], bf16: s.bf16}
}

func (m *gptOssMoE) apply(x []float32, rows int) []float32 {
	n, hidden := m.experts, m.hidden
	logits := m.router.apply(x, rows)
	tokens := make([][]int, n)
	weights := make([][]float32, n)
	order := make([]int, n)
	for t := 0; t < rows; t++ {
		row := logits[t*n : t*n+n]
		for e := range order {
			order[e] = e
		}
		sort.SliceStable(order, func(a, b int) bool { return row[order[a]] > row[order[b]] })
		top := order[:m.topK]
		mx := float64(row[top[0]])
		var sum float64
		for _, e := range top {
			sum += math.Exp(float64(row[e]) - mx)
		}
		for _, e := range top {
			tokens[e] = append(tokens[e], t)
			weights[e] = append(weights[e], float32(math.Exp(float64(row[e])-mx)/sum))
		}
	}
	out := make([]float32, rows*hidden)
	for e, toks := range tokens {
		if len(toks) == 0 {
			continue
		}
		in := make([]float32, len(toks)*hidden)
		for i, t := range toks {
			copy(in[i*hidden:(i+1)*hidden], x[t*hidden:(t+1)*hidden])
		}
		gu := m.gateUp.get(e).apply(in, len(toks))
		act := make([]float32, len(toks)*m.inter)
		for i := range act {
			gate, up := gu[2*i], gu[2*i+1]
			gate = min(gate, gptOssLimit)
			up = min(max(up, -gptOssLimit), gptOssLimit)
			glu := gate * sigmoid32(gate*gptOssAlpha)
			act[i] = (up + 1) * glu
		}
		y := m.down.get(e).apply(act, len(toks))
		for i, t := range toks {
			w := weights[e][i]
			dst := out[t*hidden : (t+1)*hidden]
			for j, v := range y[i*hidden : (i+1)*hidden] {
				dst[j] += v * w
			}
		}
	}
	return out
}

func sigmoid32(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// expertSource is a Weights that holds fused expert tensors packed (the
// MXFP4 view): their layers dequantize one expert at a time.
type expertSource interface {
	packedTensor(name string) (*packedExperts, bool, error)
}

// loadGptOssMoE reads layer l's router and experts. The experts are fused
// tensors as transformers holds them: gate_up_proj [E][hidden][2·inter],
// down_proj [E][inter][hidden], and their biases [E][2·inter], [E][hidden].
func loadGptOssMoE(m *Model, l int) (mlp, error) {
	c, f := m.Config, m.fam
	name := func(role string) string { return f.layerName(l, role) }
	E, h, I := c.Experts, c.Hidden, c.ExpertIntermediate
	moe := &gptOssMoE{topK: c.ExpertsPerToken, hidden: h, inter: I, experts: E}
	var err error
	if moe.router, err = m.linear(name("mlp.router"), E, h, true); err != nil {
		return nil, err
	}
	if moe.gateUp, err = m.experts(name("mlp.experts.gate_up_proj"), E, h, 2*I); err != nil {
		return nil, err
	}
	if moe.down, err = m.experts(name("mlp.experts.down_proj"), E, I, h); err != nil {
		return nil, err
	}
	return moe, nil
}

// experts reads the fused expert tensor name [E][in][out] and its bias
// name_bias [E][out] as E linear layers [out][in].
func (m *Model) experts(name string, E, in, out int) (*expertSet, error) {
	dt, err := m.shape(name, E, in, out)
	if err != nil {
		return nil, err
	}
	kd, err := weightDType(name, dt)
	if err != nil {
		return nil, err
	}
	if _, err := m.shape(name+"_bias", E, out); err != nil {
		return nil, err
	}
	set := &expertSet{ls: make([]*linear, E), out: out, bf16: m.bf16}
	if m.dryRun {
		for e := range set.ls {
			set.ls[e] = &linear{w: kernels.Matrix{Rows: out, Cols: in, DType: kd}, bf16: m.bf16}
		}
		return set, nil
	}
	bt, err := m.ckpt.Tensor(name + "_bias")
	if err != nil {
		return nil, err
	}
	if set.bias, err = bt.Float32(); err != nil {
		return nil, err
	}
	for i, x := range set.bias {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("tensor %s_bias: non-finite value %v at index %d", name, x, i)
		}
	}
	if src, ok := m.ckpt.(expertSource); ok {
		pe, ok, err := src.packedTensor(name)
		if err != nil {
			return nil, err
		}
		if ok {
			set.packed, set.ls = pe, nil
			return set, nil
		}
	}
	t, err := m.ckpt.Tensor(name)
	if err != nil {
		return nil, err
	}
	for e := range set.ls {
		w := transposeExpert(t.Data, e, in, out, kd)
		if err := checkFinite(fmt.Sprintf("%s (expert %d)", name, e), w); err != nil {
			return nil, err
		}
		set.ls[e] = &linear{w: w, bias: set.bias[e*out : (e+1)*out], bf16: m.bf16}
	}
	return set, nil
}

// transposeExpert copies expert e of data [E][in][out] into a matrix
// [out][in] of the same dtype.
func transposeExpert(data []byte, e, in, out int, kd kernels.DType) kernels.Matrix {
	size := elemSize(kd)
	src := data[e*in*out*size : (e+1)*in*out*size]
	dst := make([]byte, len(src))
	for i := 0; i < in; i++ {
		for o := 0; o < out; o++ {
			copy(dst[(o*in+i)*size:(o*in+i+1)*size], src[(i*out+o)*size:(i*out+o+1)*size])
		}
	}
	return kernels.Matrix{Rows: out, Cols: in, DType: kd, Data: dst}
}

// weightDType maps a stored dtype to the kernels' (F32, F16, BF16).
func weightDType(name string, dt safetensors.DType) (kernels.DType, error) {
	switch dt {
	case safetensors.F32:
		return kernels.F32, nil
	case safetensors.F16:
		return kernels.F16, nil
	case safetensors.BF16:
		return kernels.BF16, nil
	}
	return 0, fmt.Errorf("tensor %s: dtype %s not supported for weights (F32, F16, BF16)", name, dt)
}

// Sinks returns the layer's attention sink logits, one per query head
// (gpt-oss), or nil: what an evaluation that recomputes attention adds to
// each softmax denominator to attend as the model does.
func (l *Layer) Sinks() []float32 { return l.sinks }
