// Package synth writes random-weight checkpoints with the exact shapes of
// real models, in Hugging Face layout (config.json, bf16 safetensors shards
// and their index), so the tool can be tried and benchmarked with real file
// I/O before downloading anything.
package synth

import (
	"fmt"
	"sort"
	"strings"
)

// Preset is a model shape.
type Preset struct {
	Name                           string
	ModelType, Architecture        string
	Hidden, Intermediate, Layers   int
	Heads, KVHeads, HeadDim, Vocab int
	RopeTheta                      float64
	RopeScaling                    map[string]any // nil for default RoPE
	Tie, QKVBias                   bool
	NormEps                        float64
	MaxPositions                   int
	Experts                        int            // gpt-oss: experts per layer (MXFP4, gptoss.go)
	Extra                          map[string]any // further config.json keys
}

var presets = map[string]Preset{
	"llama-3.2-1b": {ModelType: "llama", Architecture: "LlamaForCausalLM",
		Hidden: 2048, Intermediate: 8192, Layers: 16, Heads: 32, KVHeads: 8, HeadDim: 64, Vocab: 128256,
		RopeTheta: 500000, RopeScaling: llama3Scaling(32), Tie: true, NormEps: 1e-5, MaxPositions: 131072},
	"llama-3.1-8b": {ModelType: "llama", Architecture: "LlamaForCausalLM",
		Hidden: 4096, Intermediate: 14336, Layers: 32, Heads: 32, KVHeads: 8, HeadDim: 128, Vocab: 128256,
		RopeTheta: 500000, RopeScaling: llama3Scaling(8), NormEps: 1e-5, MaxPositions: 131072},
	"qwen2.5-7b": {ModelType: "qwen2", Architecture: "Qwen2ForCausalLM",
		Hidden: 3584, Intermediate: 18944, Layers: 28, Heads: 28, KVHeads: 4, HeadDim: 128, Vocab: 152064,
		RopeTheta: 1000000, QKVBias: true, NormEps: 1e-6, MaxPositions: 32768},
	"mistral-7b": {ModelType: "mistral", Architecture: "MistralForCausalLM",
		Hidden: 4096, Intermediate: 14336, Layers: 32, Heads: 32, KVHeads: 8, HeadDim: 128, Vocab: 32768,
		RopeTheta: 1000000, NormEps: 1e-5, MaxPositions: 32768},
	"gpt-oss-20b":  gptOss(24, 32),
	"gpt-oss-120b": gptOss(36, 128),
	// small: a few-hundred-MB-free shape for tests and quick trials.
	"small": {ModelType: "llama", Architecture: "LlamaForCausalLM",
		Hidden: 256, Intermediate: 688, Layers: 4, Heads: 8, KVHeads: 4, HeadDim: 32, Vocab: 512,
		RopeTheta: 10000, NormEps: 1e-5, MaxPositions: 4096},
}

func llama3Scaling(factor float64) map[string]any {
	return map[string]any{"rope_type": "llama3", "factor": factor, "low_freq_factor": 1.0,
		"high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
}

// Lookup returns the preset called name.
func Lookup(name string) (Preset, error) {
	p, ok := presets[name]
	if !ok {
		return Preset{}, fmt.Errorf("unknown preset %q (available: %s)", name, strings.Join(Names(), ", "))
	}
	p.Name = name
	return p, nil
}

// Names lists the presets.
func Names() []string {
	var names []string
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Params returns the number of parameters of the preset.
func (p Preset) Params() int64 {
	var n int64
	for _, t := range p.tensors() {
		size := int64(1)
		for _, d := range t.shape {
			size *= int64(d)
		}
		if t.bytes != [2]byte{} { // MXFP4: two weights a block byte; scales are not weights
			size *= 2
			if !strings.HasSuffix(t.name, "_blocks") {
				size = 0
			}
		}
		n += size
	}
	return n
}
