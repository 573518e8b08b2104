package model

import (
	"github.com/qfilters/qfilters/safetensors"
	"github.com/qfilters/qfilters/torchbin"
)

// openSource opens what the user gave as a model: a checkpoint directory
// holding config.json and safetensors weights (model.safetensors, or shards
// with model.safetensors.index.json, or a Hugging Face cache snapshot whose
// files link into blobs/), or pytorch_model.bin (or its shards) when it has
// no safetensors. Other weight formats join here; safetensors is preferred
// when a directory holds several.
func openSource(path string) (*Config, Weights, error) {
	if IsGGUF(path) {
		return openGGUF(path)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		return nil, nil, err
	}
	var w Weights
	if torchbin.Found(path) && !safetensors.Found(path) {
		w, err = torchbin.Open(path)
	} else {
		w, err = safetensors.Open(path)
	}
	if err != nil {
		return nil, nil, err
	}
	return cfg, w, nil
}

// weightsView puts the views a source needs between it and the forward pass,
// in this order: FP8 dequantization (on the source's names, where the scales
// sit beside their weights), then names (a wrapper's prefixes, tied
// embeddings under either name).
func weightsView(src Weights, fam *family, cfg *Config) (Weights, error) {
	w, err := fp8View(src, cfg.Quant)
	if err != nil {
		return nil, err
	}
	if w, err = newMXFP4View(w); err != nil {
		return nil, err
	}
	return nameView(w, fam, cfg)
}
