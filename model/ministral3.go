package model

// Ministral 3 (and the Mistral 3 wrappers that carry it,
// Mistral3ForConditionalGeneration with text_config model_type ministral3):
// the Llama layout with YaRN RoPE, whose queries are scaled after RoPE by
// 1 + β·ln(1 + ⌊position / original_max_position_embeddings⌋), β being
// rope_parameters' llama_4_scaling_beta.
var ministral3Family = func() *family {
	f := *llamaFamily
	f.modelTypes = []string{"ministral3"}
	f.llama4QueryScale = true
	// Ministral3Config's: without rope parameters (in either layout), YaRN
	// with the query scaling.
	f.classDefaults = map[string]any{"rms_norm_eps": 1e-5, "rope_parameters": ministral3Rope}
	return &f
}()

// ministral3Rope is Ministral3Config's default rope_parameters.
var ministral3Rope = map[string]any{"type": "yarn", "rope_theta": 1e6, "factor": 16.0,
	"original_max_position_embeddings": 16384.0, "beta_fast": 32.0, "beta_slow": 1.0, "mscale_all_dim": 1.0,
	"mscale": 1.0, "llama_4_scaling_beta": 0.1}

func init() { register(ministral3Family) }

// scaleQueries applies the llama4QueryScale factor to the queries q
// [seq][width] of positions pos0, pos0+1...
func (l *Layer) scaleQueries(q []float32, pos0, width int) {
	for p := 0; p*width < len(q); p++ {
		s := llama4QueryScale(l.qScaleBeta, l.qScaleOrig, pos0+p)
		if s == 1 {
			continue
		}
		row := q[p*width : (p+1)*width]
		for i := range row {
			row[i] *= s
		}
	}
}
