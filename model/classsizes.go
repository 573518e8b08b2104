package model

import "maps"

// classShapeDefaults are the head shapes that transformers' config classes
// default to when config.json leaves them out, where they differ from the
// generic rule (head_dim = hidden_size / num_attention_heads,
// num_key_value_heads = num_attention_heads) ParseConfig applies; for the
// hybrids also the Gated DeltaNet head shapes. Read in the classes' source
// (transformers 5.2; Gemma4TextConfig 5.23). Unlike the other sizes, a
// missing one is no error there: without these a hand-written config would
// silently get other shapes than transformers builds.
var classShapeDefaults = map[*family]map[string]any{
	gemma2Family:     {"head_dim": 256.0, "num_key_value_heads": 4.0},
	gemma3Family:     {"head_dim": 256.0, "num_key_value_heads": 4.0},
	gemma4Family:     {"head_dim": 256.0, "num_key_value_heads": 4.0},
	glm4Family:       {"num_key_value_heads": 2.0},
	glm4MoEFamily:    {"num_key_value_heads": 8.0},
	gptOssFamily:     {"head_dim": 64.0, "num_key_value_heads": 8.0},
	mistralFamily:    {"num_key_value_heads": 8.0},
	mixtralFamily:    {"num_key_value_heads": 8.0},
	llama4Family:     {"num_key_value_heads": 8.0},
	ministral3Family: {"head_dim": 128.0, "num_key_value_heads": 8.0},
	qwen2Family:      {"num_key_value_heads": 32.0},
	qwen3Family:      {"head_dim": 128.0, "num_key_value_heads": 32.0},
	qwen3MoEFamily:   {"num_key_value_heads": 4.0},
	smollm3Family:    {"num_key_value_heads": 4.0},
	qwen3NextFamily:  withDeltaNetShapes(map[string]any{"head_dim": 256.0, "num_key_value_heads": 2.0}),
	qwen35Family:     withDeltaNetShapes(map[string]any{"head_dim": 256.0, "num_key_value_heads": 4.0}),
	qwen35MoEFamily:  withDeltaNetShapes(map[string]any{"head_dim": 256.0, "num_key_value_heads": 2.0}),
}

// withDeltaNetShapes adds Qwen3NextConfig's Gated DeltaNet head shapes.
func withDeltaNetShapes(m map[string]any) map[string]any {
	m["linear_num_key_heads"], m["linear_num_value_heads"] = 16.0, 32.0
	m["linear_key_head_dim"], m["linear_value_head_dim"], m["linear_conv_kernel_dim"] = 128.0, 128.0, 4.0
	return m
}

func init() {
	for f, d := range classShapeDefaults {
		all := maps.Clone(f.classDefaults) // may be shared with other families
		if all == nil {
			all = map[string]any{}
		}
		maps.Copy(all, d)
		f.classDefaults = all
	}
}
