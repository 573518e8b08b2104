package synth

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/qfilters/qfilters/safetensors"
)

// tensorSpec is one tensor to generate: norms are ones, everything else
// normal with the given standard deviation.
type tensorSpec struct {
	name  string
	shape []int
	ones  bool
	std   float64
	bytes [2]byte // U8 tensors (MXFP4): uniform in [bytes[0], bytes[1]]; unused when both 0
}

// tensors lists the preset's tensors in Hugging Face naming.
func (p Preset) tensors() []tensorSpec {
	const std = 0.02
	if p.Hybrid != nil {
		return p.hybridTensors(std)
	}
	q, kv := p.Heads*p.HeadDim, p.KVHeads*p.HeadDim
	ts := []tensorSpec{{name: "model.embed_tokens.weight", shape: []int{p.Vocab, p.Hidden}, std: std}}
	for l := 0; l < p.Layers; l++ {
		pre := fmt.Sprintf("model.layers.%d.", l)
		ts = append(ts,
			tensorSpec{name: pre + "input_layernorm.weight", shape: []int{p.Hidden}, ones: true},
			tensorSpec{name: pre + "self_attn.q_proj.weight", shape: []int{q, p.Hidden}, std: std},
			tensorSpec{name: pre + "self_attn.k_proj.weight", shape: []int{kv, p.Hidden}, std: std},
			tensorSpec{name: pre + "self_attn.v_proj.weight", shape: []int{kv, p.Hidden}, std: std},
			tensorSpec{name: pre + "self_attn.o_proj.weight", shape: []int{p.Hidden, q}, std: std},
			tensorSpec{name: pre + "post_attention_layernorm.weight", shape: []int{p.Hidden}, ones: true},
		)
		if p.ModelType == "gpt_oss" {
			ts = append(ts, p.gptOssLayer(pre)...)
		} else {
			ts = append(ts, tensorSpec{name: pre + "mlp.gate_proj.weight", shape: []int{p.Intermediate, p.Hidden}, std: std},
				tensorSpec{name: pre + "mlp.up_proj.weight", shape: []int{p.Intermediate, p.Hidden}, std: std},
				tensorSpec{name: pre + "mlp.down_proj.weight", shape: []int{p.Hidden, p.Intermediate}, std: std})
		}
		if p.QKVBias {
			ts = append(ts,
				tensorSpec{name: pre + "self_attn.q_proj.bias", shape: []int{q}, std: std},
				tensorSpec{name: pre + "self_attn.k_proj.bias", shape: []int{kv}, std: std},
				tensorSpec{name: pre + "self_attn.v_proj.bias", shape: []int{kv}, std: std})
		}
	}
	ts = append(ts, tensorSpec{name: "model.norm.weight", shape: []int{p.Hidden}, ones: true})
	if !p.Tie {
		ts = append(ts, tensorSpec{name: "lm_head.weight", shape: []int{p.Vocab, p.Hidden}, std: std})
	}
	return ts
}

// shardBytes bounds a shard's size, like the 2-5 GB shards of published
// checkpoints.
const shardBytes = 2 << 30

// Write writes the preset's checkpoint into dir (created; must not exist):
// config.json in the older published layout, bf16 shards of random weights
// drawn from seed, and model.safetensors.index.json.
func Write(dir string, p Preset, seed uint64) error {
	return WriteContext(context.Background(), dir, p, seed)
}

// WriteContext is Write, stopping with ctx's error between shards once ctx
// is done (what it wrote so far is left for the caller to remove).
func WriteContext(ctx context.Context, dir string, p Preset, seed uint64) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	if err := writeConfig(dir, p); err != nil {
		return err
	}
	specs := p.tensors()
	var shards [][]tensorSpec
	size := int64(0) // 2 GiB shards overflow a 32-bit int
	for _, t := range specs {
		n := int64(t.elemBytes())
		for _, d := range t.shape {
			n *= int64(d)
		}
		if len(shards) == 0 || size+n > shardBytes {
			shards = append(shards, nil)
			size = 0
		}
		shards[len(shards)-1] = append(shards[len(shards)-1], t)
		size += n
	}
	weightMap := map[string]string{}
	var total int64
	for i, shard := range shards {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(shards))
		tensors := make([]safetensors.Tensor, len(shard))
		fill(shard, tensors, seed)
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, t := range tensors {
			weightMap[t.Name] = name
			total += int64(len(t.Data))
		}
		if err := safetensors.Write(filepath.Join(dir, name), tensors, map[string]string{"format": "pt"}); err != nil {
			return err
		}
	}
	index, _ := json.MarshalIndent(map[string]any{"metadata": map[string]any{"total_size": total}, "weight_map": weightMap}, "", "  ")
	return os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), index, 0o644)
}

// fill generates the tensors of one shard in parallel; each tensor's values
// depend only on the seed and its name.
func fill(specs []tensorSpec, out []safetensors.Tensor, seed uint64) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, t := range specs {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, t tensorSpec) {
			defer func() { <-sem; wg.Done() }()
			n := 1
			for _, d := range t.shape {
				n *= d
			}
			if t.bytes != [2]byte{} {
				r := rand.New(rand.NewPCG(seed, nameHash(t.name)))
				data := make([]byte, n)
				span := int(t.bytes[1]-t.bytes[0]) + 1
				for j := range data {
					data[j] = t.bytes[0] + byte(r.IntN(span))
				}
				out[i] = safetensors.Tensor{Name: t.name, DType: safetensors.U8, Shape: t.shape, Data: data}
				return
			}
			data := make([]byte, 2*n)
			if t.ones {
				for j := 0; j < n; j++ {
					binary.LittleEndian.PutUint16(data[2*j:], 0x3f80) // bf16 1.0
				}
			} else {
				r := rand.New(rand.NewPCG(seed, nameHash(t.name)))
				for j := 0; j < n; j++ {
					v := float32(r.NormFloat64() * t.std)
					binary.LittleEndian.PutUint16(data[2*j:], uint16(math.Float32bits(v)>>16))
				}
			}
			out[i] = safetensors.Tensor{Name: t.name, DType: safetensors.BF16, Shape: t.shape, Data: data}
		}(i, t)
	}
	wg.Wait()
}

// elemBytes is the stored size of one element: U8 codes or bf16.
func (t tensorSpec) elemBytes() int {
	if t.bytes != [2]byte{} {
		return 1
	}
	return 2
}

func nameHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func writeConfig(dir string, p Preset) error {
	cfg := map[string]any{
		"architectures":           []string{p.Architecture},
		"model_type":              p.ModelType,
		"hidden_size":             p.Hidden,
		"intermediate_size":       p.Intermediate,
		"num_hidden_layers":       p.Layers,
		"num_attention_heads":     p.Heads,
		"num_key_value_heads":     p.KVHeads,
		"head_dim":                p.HeadDim,
		"vocab_size":              p.Vocab,
		"rope_theta":              p.RopeTheta,
		"rms_norm_eps":            p.NormEps,
		"tie_word_embeddings":     p.Tie,
		"max_position_embeddings": p.MaxPositions,
		"hidden_act":              "silu",
		"torch_dtype":             "bfloat16",
		"qfilters_synthetic":      p.Name,
	}
	if p.RopeScaling != nil {
		cfg["rope_scaling"] = p.RopeScaling
	}
	for k, v := range p.Extra {
		cfg[k] = v
	}
	if p.Hybrid != nil {
		p.Hybrid.config(cfg, p.Layers)
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	return os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
}
