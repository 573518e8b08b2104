package model

import "fmt"

// Quantization is a checkpoint's quantization_config, as far as we read it:
// FP8 weights, dequantized tensor by tensor while a layer loads (fp8.go).
type Quantization struct {
	Method string // "" (none) or "fp8"
	// Block is weight_block_size, [rows, cols] of the weights one entry of
	// weight_scale_inv covers; zero when not given.
	Block [2]int
}

// parseQuantization reads quantization_config from the top level of a
// config.json. Any method but fp8 is refused by name: its weights are not
// floats we could compute with.
func parseQuantization(raw map[string]any) (Quantization, error) {
	var q Quantization
	v, ok := raw["quantization_config"]
	if !ok || v == nil {
		return q, nil
	}
	qc, ok := v.(map[string]any)
	if !ok {
		return q, fmt.Errorf("quantization_config: expected an object, got %v", v)
	}
	r := reader{raw: qc}
	q.Method = r.str("quant_method", "")
	if q.Method == "mxfp4" { // gpt-oss's experts: *_blocks / *_scales, mxfp4.go
		return q, r.err
	}
	if q.Method != "fp8" {
		return q, fmt.Errorf("quantization_config.quant_method %q is not supported: only fp8 and mxfp4 checkpoints (dequantized on load) and unquantized ones can be read", q.Method)
	}
	if bs := r.floats("weight_block_size"); bs != nil {
		if len(bs) != 2 || bs[0] < 1 || bs[1] < 1 || bs[0] > 1<<16 || bs[1] > 1<<16 || bs[0] != float64(int(bs[0])) || bs[1] != float64(int(bs[1])) {
			return q, fmt.Errorf("quantization_config.weight_block_size %v: expected two positive integers", bs)
		}
		q.Block = [2]int{int(bs[0]), int(bs[1])}
	}
	return q, r.err
}
