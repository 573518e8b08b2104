//go:build ggmlcheck

package gguf_test

// The check against ggml itself (`make ggml-check`, .ci/ggml-check): the
// C program internal/ggmlcheck/ggmlcheck.c, linked to llama.cpp's prebuilt
// library, is named by $QFILTERS_GGMLCHECK.

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/gguf"
)

var updateRecord = flag.Bool("update", false, "rewrite testdata/ggml/dequant.json from ggml's results")

func ggmlTool(t *testing.T) string {
	p := os.Getenv("QFILTERS_GGMLCHECK")
	if p == "" {
		t.Fatal("QFILTERS_GGMLCHECK is not set: run make ggml-check")
	}
	return p
}

func runTool(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(ggmlTool(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("ggmlcheck %s: %v\n%s", strings.Join(args, " "), err, lastLines(errb.String(), 30))
	}
	return out.String()
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

// TestGGMLTraits: our table of types agrees with ggml's: the name, block
// size and bytes of every type, and we dequantize exactly the types that
// have a to_float (plus F32, which needs none).
func TestGGMLTraits(t *testing.T) {
	seen := map[gguf.Type]bool{}
	for _, line := range strings.Split(strings.TrimSpace(runTool(t, "traits")), "\n") {
		f := strings.Fields(line)
		id, _ := strconv.Atoi(f[0])
		block, _ := strconv.Atoi(f[2])
		size, _ := strconv.Atoi(f[3])
		typ := gguf.Type(id)
		seen[typ] = true
		if !strings.EqualFold(typ.String(), f[1]) || typ.BlockSize() != block || typ.BlockBytes() != size {
			t.Errorf("ggml type %d is %s, %d elements in %d bytes; we have %s, %d in %d", id, f[1], block, size, typ, typ.BlockSize(), typ.BlockBytes())
		}
		if want := f[4] == "1" || typ == gguf.F32; typ.Supported() != want {
			t.Errorf("%s: ggml to_float %s, we dequantize: %v", typ, f[4], typ.Supported())
		}
	}
	for _, typ := range gguf.SupportedTypes() {
		if !seen[typ] {
			t.Errorf("%s: not a ggml type", typ)
		}
	}
}

// TestGGMLDequant (a): random blocks of every type, dequantized by ggml's
// to_float and by us, bit for bit. With -update it writes the hashes to
// testdata/ggml/dequant.json for TestDequantMatchesGGMLRecorded.
func TestGGMLDequant(t *testing.T) {
	dir := t.TempDir()
	rec := ggmlRecord{Source: os.Getenv("QFILTERS_GGML_SOURCE"), Types: map[string]ggmlRecordEntry{}}
	for _, typ := range gguf.SupportedTypes() {
		if typ == gguf.F32 {
			continue
		}
		raw := randomBlocks(typ, blocksPerType(typ), int64(typ))
		in, out := filepath.Join(dir, typ.String()+".raw"), filepath.Join(dir, typ.String()+".f32")
		if err := os.WriteFile(in, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		runTool(t, "dequant", strconv.Itoa(int(typ)), in, out)
		want := readF32(t, out)
		got, err := ourDequant(typ, raw)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, ggml gave %d", typ, len(got), len(want))
		}
		bad := 0
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				if bad == 0 {
					b := i / typ.BlockSize()
					t.Errorf("%s: element %d (block %d, index %d): %v (%08x), ggml's to_float gives %v (%08x); block bytes % x",
						typ, i, b, i%typ.BlockSize(), got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]),
						raw[b*typ.BlockBytes():(b+1)*typ.BlockBytes()])
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d values differ from ggml's", typ, bad, len(got))
		} else {
			t.Logf("%-8s %d blocks, %d values: identical to ggml's to_float", typ, blocksPerType(typ), len(got))
		}
		rec.Types[typ.String()] = ggmlRecordEntry{ID: int(typ), Blocks: blocksPerType(typ), SHA256: floatsHash(want)}
	}
	if *updateRecord && !t.Failed() {
		b, _ := json.MarshalIndent(rec, "", "  ")
		if err := os.WriteFile(ggmlRecordPath(), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", ggmlRecordPath())
	}
}

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24)
	}
	return v
}

// llamaFtypes are llama.h's llama_ftype values: every file type
// llama_model_quantize offers (the removed ones and ALL_F32 left out; and
// NVFP4, 39, which this release's llama_model_quantize refuses as "invalid
// output file type": its blocks are checked by TestGGMLDequant).
// MXFP4_MOE quantizes only expert tensors to MXFP4: on these dense models
// it gives Q8_0, and MXFP4 blocks too are checked by TestGGMLDequant only.
var llamaFtypes = []struct {
	name string
	id   int
}{
	{"F16", 1}, {"Q4_0", 2}, {"Q4_1", 3}, {"Q8_0", 7}, {"Q5_0", 8}, {"Q5_1", 9},
	{"Q2_K", 10}, {"Q3_K_S", 11}, {"Q3_K_M", 12}, {"Q3_K_L", 13}, {"Q4_K_S", 14},
	{"Q4_K_M", 15}, {"Q5_K_S", 16}, {"Q5_K_M", 17}, {"Q6_K", 18}, {"IQ2_XXS", 19},
	{"IQ2_XS", 20}, {"Q2_K_S", 21}, {"IQ3_XS", 22}, {"IQ3_XXS", 23}, {"IQ1_S", 24},
	{"IQ4_NL", 25}, {"IQ3_S", 26}, {"IQ3_M", 27}, {"IQ2_S", 28}, {"IQ2_M", 29},
	{"IQ4_XS", 30}, {"IQ1_M", 31}, {"BF16", 32}, {"TQ1_0", 36}, {"TQ2_0", 37},
	{"MXFP4_MOE", 38}, {"Q1_0", 40}, {"Q2_0", 41},
}

// TestGGMLQuantizedFiles (b): small F32 Llamas (rows of 256 and 512; and
// of 640, which K-quants cannot hold, so that llama.cpp's fallback types
// appear) quantized by llama_model_quantize into every file type (with a
// flat importance matrix, so that the i-quants that need one quantize too);
// each file's F32 twin written by ggml's to_float. We read every tensor of
// each file as ggml does, bit for bit, and `qfilters calibrate` writes
// byte-identical filters for the file and its twin.
func TestGGMLQuantizedFiles(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "qfilters")
	if out, err := exec.Command(goTool(), "build", "-o", bin, "../cmd/qfilters").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	models := []struct {
		name string
		dims llamaDims
	}{
		{"rows256", llamaDims{hidden: 256, heads: 4, headDim: 64, kvHeads: 2, ffn: 512, vocab: 320, layers: 2}},
		{"rows640", llamaDims{hidden: 640, heads: 5, headDim: 128, kvHeads: 1, ffn: 1280, vocab: 320, layers: 2}},
	}
	typesSeen := map[gguf.Type][]string{}
	for mi, m := range models {
		hf := loadHF(t, writeLlama(t, m.dims, int64(11+mi)))
		f32, _ := convert(t, hf, "llama", gguf.F32, 3, 0)
		corpus := idsCorpus(t, m.dims.vocab)
		for _, ft := range llamaFtypes {
			t.Run(m.name+"_"+ft.name, func(t *testing.T) {
				dir := t.TempDir()
				q, twin := filepath.Join(dir, "q.gguf"), filepath.Join(dir, "twin.gguf")
				runTool(t, "quantize", f32, q, strconv.Itoa(ft.id))
				runTool(t, "twin", q, twin)
				mix := compareTensors(t, q, twin)
				for typ := range mix {
					typesSeen[typ] = append(typesSeen[typ], m.name+"_"+ft.name)
				}
				a := calibrateCLI(t, bin, q, corpus, filepath.Join(dir, "out-q"))
				b := calibrateCLI(t, bin, twin, corpus, filepath.Join(dir, "out-twin"))
				for _, f := range []string{"model.safetensors", "qfilters.safetensors"} {
					if !bytes.Equal(a[f], b[f]) {
						t.Errorf("%s differs between the quantized file and its F32 twin", f)
					}
				}
				t.Logf("tensor types %s: filters byte-identical to the twin's", mixString(mix))
			})
		}
	}
	var seen []string
	for _, typ := range gguf.SupportedTypes() {
		files := typesSeen[typ]
		if len(files) > 0 {
			seen = append(seen, fmt.Sprintf("%s (%d files)", typ, len(files)))
		} else if typ != gguf.MXFP4 && typ != gguf.NVFP4 {
			t.Errorf("%s: in none of llama.cpp's files", typ)
		}
	}
	t.Logf("types met in llama.cpp's files: %s", strings.Join(seen, ", "))
	// The case: Q4_K_M of 640-wide rows stores them as Q5_0.
	if !slices.Contains(typesSeen[gguf.Q5_0], "rows640_Q4_K_M") {
		t.Errorf("rows640_Q4_K_M holds no Q5_0 tensor: the fallback was not exercised")
	}
}

func goTool() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// compareTensors: every tensor of q, read by us, equals the twin's F32
// tensor bit for bit. It returns the count of tensors of each type.
func compareTensors(t *testing.T, q, twin string) map[gguf.Type]int {
	t.Helper()
	a, err := gguf.Open(q)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := gguf.Open(twin)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	mix := map[gguf.Type]int{}
	for _, ti := range a.Tensors() {
		mix[ti.Type]++
		tw, ok := b.Tensor(ti.Name)
		if !ok || tw.Type != gguf.F32 || !slices.Equal(tw.Dims, ti.Dims) {
			t.Fatalf("%s: twin has %v", ti.Name, tw)
		}
		got, err := a.Float32(ti)
		if err != nil {
			t.Fatal(err)
		}
		want, err := b.Float32(tw)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s (%s): element %d is %v, ggml's to_float gives %v", ti.Name, ti.Type, i, got[i], want[i])
			}
		}
	}
	return mix
}

func mixString(mix map[gguf.Type]int) string {
	var s []string
	for _, typ := range slices.Sorted(func(yield func(gguf.Type) bool) {
		for k := range mix {
			if !yield(k) {
				return
			}
		}
	}) {
		s = append(s, fmt.Sprintf("%s×%d", typ, mix[typ]))
	}
	return strings.Join(s, " ")
}

// idsCorpus writes a JSON Lines corpus of token ids (the test models have
// no tokenizer).
func idsCorpus(t *testing.T, vocab int) string {
	t.Helper()
	rng := rand.New(rand.NewSource(5))
	var b strings.Builder
	for d := 0; d < 6; d++ {
		ids := []int{1}
		for i := 0; i < 40; i++ {
			ids = append(ids, 3+rng.Intn(vocab-3))
		}
		j, _ := json.Marshal(map[string]any{"input_ids": ids})
		b.Write(append(j, '\n'))
	}
	p := filepath.Join(t.TempDir(), "ids.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// calibrateCLI runs `qfilters calibrate` and returns the files it wrote.
func calibrateCLI(t *testing.T, bin, model, corpus, out string) map[string][]byte {
	t.Helper()
	cmd := exec.Command(bin, "calibrate", "--model", model, "--corpus", corpus, "--out", out,
		"--seq-len", "32", "--num-seqs", "6", "--samples", "all", "--quiet")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("qfilters calibrate --model %s: %v\n%s", filepath.Base(model), err, b)
	}
	files := map[string][]byte{}
	for _, f := range []string{"model.safetensors", "qfilters.safetensors"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = b
	}
	return files
}
