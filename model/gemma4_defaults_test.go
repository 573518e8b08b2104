package model

import (
	"slices"
	"testing"
)

// TestGemma4LayerPattern: Gemma4TextConfig (5.23) makes five sliding
// layers per global one whatever sliding_window_pattern says, and gives
// the global layers head_dim global_head_dim, 512 when absent.
//
//	Gemma4TextConfig.from_dict(dict(..., num_hidden_layers=7, head_dim=16, sliding_window_pattern=3))
//	# layer_types: 5 sliding, 2 full (last forced); per_layer_config {5: 512, 6: 512}
func TestGemma4LayerPattern(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"model_type": "gemma4_text", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 7,
		"num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 100, "sliding_window_pattern": 3}`))
	if err != nil {
		t.Fatal(err)
	}
	wantWin := []int{512, 512, 512, 512, 512, 0, 0}
	wantDim := []int{16, 16, 16, 16, 16, 512, 512}
	dims := make([]int, cfg.Layers)
	for l := range dims {
		dims[l] = cfg.HeadDimOf(l)
	}
	if !slices.Equal(cfg.Window, wantWin) || !slices.Equal(dims, wantDim) {
		t.Errorf("windows %v, head dims %v; want %v, %v", cfg.Window, dims, wantWin, wantDim)
	}
}
