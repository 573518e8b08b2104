package model

import (
	"strings"
	"testing"
)

// TestBidirectionalRefused: EmbeddingGemma (gemma3_text with
// use_bidirectional_attention) and Gemma 4 with use_bidirectional_attention
// "all" attend both ways (transformers sets is_causal False); queries
// computed under a causal mask would be silently wrong, so the config is
// refused. Gemma 4's "vision" only concerns image tokens. (Gemma 2's flag
// only sets is_causal, which its eager path ignores: not checked here.)
func TestBidirectionalRefused(t *testing.T) {
	const sizes = `"num_key_value_heads": 2, "head_dim": 16`
	for _, c := range []struct {
		mt, flag string
		refused  bool
	}{
		{"gemma3_text", `true`, true}, {"gemma4_text", `"all"`, true},
		{"gemma3_text", `false`, false}, {"gemma3_text", `null`, false}, {"gemma4_text", `"vision"`, false}, {"gemma4_text", `null`, false},
	} {
		_, err := ParseConfig(minimal(c.mt, sizes+`, "use_bidirectional_attention": `+c.flag))
		if got := err != nil && strings.Contains(err.Error(), "use_bidirectional_attention"); got != c.refused {
			t.Errorf("%s with use_bidirectional_attention %s: err %v, want refused %v", c.mt, c.flag, err, c.refused)
		}
	}
}
