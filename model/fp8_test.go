package model

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/safetensors"
)

// fp8Encode rounds x to the nearest code of an FP8 format, ties to the even
// code (even mantissa), searching all codes: an encoder independent of the
// decoder's bit tricks, as slow as it is obviously right.
func fp8Encode(x float32, decode func(byte) float32) byte {
	best, bestErr := byte(0), math.Inf(1)
	for c := 0; c < 256; c++ {
		v := decode(byte(c))
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			continue
		}
		e := math.Abs(float64(v) - float64(x))
		if e < bestErr || e == bestErr && c%2 == 0 && best%2 == 1 {
			best, bestErr = byte(c), e
		}
	}
	return best
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// quantizeFP8 returns w [rows][cols] as FP8 codes with one scale per
// br x bc block (scale = block max / format max), and the weights those
// codes and scales stand for.
func quantizeFP8(w []float32, rows, cols, br, bc int, decode func(byte) float32, fmax float32) (codes []byte, scales, deq []float32) {
	sr, sc := (rows+br-1)/br, (cols+bc-1)/bc
	scales = make([]float32, sr*sc)
	for i, x := range w {
		s := &scales[(i/cols/br)*sc+(i%cols)/bc]
		*s = max(*s, float32(math.Abs(float64(x))))
	}
	for i := range scales {
		if scales[i] == 0 {
			scales[i] = 1
		}
		scales[i] /= fmax
	}
	codes = make([]byte, len(w))
	deq = make([]float32, len(w))
	for i, x := range w {
		s := scales[(i/cols/br)*sc+(i%cols)/bc]
		codes[i] = fp8Encode(x/s, decode)
		deq[i] = decode(codes[i]) * s
	}
	return codes, scales, deq
}

// fp8Checkpoints writes an FP8 version of an arch fixture (every 2-D layer
// weight quantized) and the plain checkpoint holding the dequantized
// weights in F32.
func fp8Checkpoints(t *testing.T, arch string, perTensor bool) (fp8Dir, plainDir string) {
	cfg, ts := fixtureParts(t, arch)
	fp8, plain, qc := quantizeFixture(t, ts, perTensor)
	plainCfg := cloneJSON(t, cfg)
	cfg["quantization_config"] = qc
	return writeModel(t, cfg, fp8), writeModel(t, plainCfg, plain)
}

// quantizeFixture quantizes every 2-D layer weight of ts to FP8: E4M3 in
// ragged 16x24 blocks, or E5M2 with one scale per tensor. It returns the FP8
// tensors with their scales, the dequantized tensors, and the
// quantization_config that describes them.
func quantizeFixture(t *testing.T, ts []safetensors.Tensor, perTensor bool) (fp8, plain []safetensors.Tensor, qc map[string]any) {
	br, bc := 16, 24 // ragged edges: 64 and 128 are not multiples of 24
	decode, fmax, dt := safetensors.F8E4M3ToF32, float32(448), safetensors.F8E4M3
	if perTensor {
		decode, fmax, dt = safetensors.F8E5M2ToF32, 57344, safetensors.F8E5M2
	}
	quantized := 0
	for _, tn := range ts {
		if !strings.HasPrefix(tn.Name, "model.layers.") || !strings.HasSuffix(tn.Name, ".weight") || len(tn.Shape) != 2 {
			fp8, plain = append(fp8, tn), append(plain, tn)
			continue
		}
		w, err := tn.Float32()
		if err != nil {
			t.Fatal(err)
		}
		rows, cols := tn.Shape[0], tn.Shape[1]
		scaleName, sbr, sbc, sshape := tn.Name+"_scale_inv", br, bc, []int{(rows + br - 1) / br, (cols + bc - 1) / bc}
		if perTensor {
			scaleName, sbr, sbc, sshape = tn.Name+"_scale", rows, cols, []int{}
		}
		codes, scales, deq := quantizeFP8(w, rows, cols, sbr, sbc, decode, fmax)
		fp8 = append(fp8, safetensors.Tensor{Name: tn.Name, DType: dt, Shape: tn.Shape, Data: codes},
			safetensors.Tensor{Name: scaleName, DType: safetensors.F32, Shape: sshape, Data: f32Bytes(scales)})
		plain = append(plain, safetensors.Tensor{Name: tn.Name, DType: safetensors.F32, Shape: tn.Shape, Data: f32Bytes(deq)})
		quantized++
	}
	if quantized == 0 {
		t.Fatal("nothing quantized")
	}
	qc = map[string]any{"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": []int{br, bc}}
	if perTensor {
		qc = map[string]any{"quant_method": "fp8", "activation_scheme": "static"}
	}
	return fp8, plain, qc
}

// TestFP8InWrapper: an FP8 multimodal checkpoint (scales beside their
// weights under the wrapper's prefix) dequantizes before its names are
// mapped, and computes what the plain dequantized language model does.
func TestFP8InWrapper(t *testing.T) {
	cfg, ts := fixtureParts(t, "mistral")
	fp8, plain, qc := quantizeFixture(t, ts, false)
	text := cloneJSON(t, cfg)
	wrapped := map[string]any{"model_type": "mistral3", "architectures": []string{"Mistral3ForConditionalGeneration"},
		"text_config": text, "quantization_config": qc}
	fp8 = renameTensors(fp8, func(n string) string { return "language_model." + n })
	ids := loadGolden(t, archDir(t, "mistral")).ids
	sameBits(t, "fp8 mistral3", forwardAll(t, writeModel(t, wrapped, fp8), ids), forwardAll(t, writeModel(t, cfg, plain), ids))
}

// TestFP8: block-scaled E4M3 and per-tensor-scaled E5M2 checkpoints compute
// bit for bit what the plain checkpoint of their dequantized weights does.
func TestFP8(t *testing.T) {
	for _, arch := range []string{"llama2", "qwen3"} {
		for _, perTensor := range []bool{false, true} {
			fp8Dir, plainDir := fp8Checkpoints(t, arch, perTensor)
			ids := loadGolden(t, archDir(t, arch)).ids
			m, err := Open(fp8Dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range m.Weights().Names() {
				if strings.Contains(n, "_scale") {
					t.Errorf("scale %s exposed as a tensor of the model", n)
				}
			}
			m.Close()
			sameBits(t, arch, forwardAll(t, fp8Dir, ids), forwardAll(t, plainDir, ids))
		}
	}
}

func TestFP8Errors(t *testing.T) {
	cfg, ts := fixtureParts(t, "llama2")
	q := "model.layers.0.self_attn.q_proj.weight"
	for i, tn := range ts {
		if tn.Name == q {
			ts[i] = safetensors.Tensor{Name: q, DType: safetensors.F8E4M3, Shape: tn.Shape, Data: make([]byte, tn.NumElements())}
		}
	}
	_, err := Open(writeModel(t, cfg, ts))
	want := "tensor model.layers.0.self_attn.q_proj.weight is stored in FP8 but the checkpoint has no scale for it"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("FP8 without scale: %v", err)
	}
	bad := append(ts, safetensors.Tensor{Name: q + "_scale_inv", DType: safetensors.F32, Shape: []int{3, 3}, Data: make([]byte, 36)})
	if _, err := Open(writeModel(t, cfg, bad)); err == nil || !strings.Contains(err.Error(), "scale "+q+"_scale_inv has shape [3 3]") {
		t.Errorf("scale of the wrong shape: %v", err)
	}
	for _, m := range []string{"gptq", "awq", "bitsandbytes"} {
		cfg["quantization_config"] = map[string]any{"quant_method": m, "bits": 4}
		_, err := Open(writeModel(t, cfg, ts))
		if err == nil || !strings.Contains(err.Error(), `quant_method "`+m+`" is not supported`) {
			t.Errorf("%s: %v", m, err)
		}
	}
}

// memWeights is an in-memory source for benchmarks.
type memWeights map[string]safetensors.Tensor

func (m memWeights) Info(n string) (safetensors.DType, []int, bool) {
	t, ok := m[n]
	return t.DType, t.Shape, ok
}
func (m memWeights) Tensor(n string) (safetensors.Tensor, error) { return m[n], nil }
func (m memWeights) Names() []string {
	var ns []string
	for n := range m {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}
func (m memWeights) Files() []string { return nil }
func (m memWeights) Close() error    { return nil }

// BenchmarkFP8Dequant: one 4096x4096 E4M3 matrix with 128x128 block scales,
// as a 7B model's projections are stored.
func BenchmarkFP8Dequant(b *testing.B) {
	const n = 4096
	codes := make([]byte, n*n)
	for i := range codes {
		codes[i] = byte(i*7) & 0x7e
	}
	scales := make([]float32, (n/128)*(n/128))
	for i := range scales {
		scales[i] = 1 / float32(i+1)
	}
	src := memWeights{
		"w.weight":           {Name: "w.weight", DType: safetensors.F8E4M3, Shape: []int{n, n}, Data: codes},
		"w.weight_scale_inv": {Name: "w.weight_scale_inv", DType: safetensors.F32, Shape: []int{n / 128, n / 128}, Data: f32Bytes(scales)},
	}
	w, err := fp8View(src, Quantization{Method: "fp8", Block: [2]int{128, 128}})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n * n)
	for b.Loop() {
		if _, err := w.Tensor("w.weight"); err != nil {
			b.Fatal(err)
		}
	}
}
