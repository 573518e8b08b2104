package model

import (
	"encoding/json"
	"testing"
)

// TestClassDefaults: a GPT-NeoX config.json that leaves out the keys its
// class defaults reads them as transformers does (GPTNeoXConfig: gelu,
// rotary_pct 0.25, parallel residual), not as the generic defaults.
func TestClassDefaults(t *testing.T) {
	raw := map[string]any{"model_type": "gpt_neox", "hidden_size": 64, "intermediate_size": 256,
		"num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100}
	data, _ := json.Marshal(raw)
	c, err := ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Activation != "gelu" || !c.ParallelResidual || c.Rope[0].PartialFactor != 0.25 || c.NormEps != 1e-5 {
		t.Errorf("activation %q, parallel residual %v, partial rotary %v, eps %v; want gelu, true, 0.25, 1e-5",
			c.Activation, c.ParallelResidual, c.Rope[0].PartialFactor, c.NormEps)
	}
	// What a config says wins.
	raw["use_parallel_residual"], raw["rotary_pct"] = false, 1.0
	data, _ = json.Marshal(raw)
	if c, err = ParseConfig(data); err != nil || c.ParallelResidual || c.Rope[0].PartialFactor != 1 {
		t.Errorf("explicit keys not honoured: %+v %v", c, err)
	}
}
