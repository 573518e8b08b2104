package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/qfilters/qfilters/gguf"
	"github.com/qfilters/qfilters/internal/fixture"
)

// ggufModel points e.model at a copy of stories260K.gguf after edit.
func ggufModel(t *testing.T, e *hostileEnv, edit func(b []byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(fixture.Path("stories260K-gguf", "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	e.model = filepath.Join(e.root, "stories260K.gguf")
	writeFile(t, e.model, edit(b))
}

// ggufSetType rewrites the type of a tensor of stories260K.gguf.
func ggufSetType(b []byte, name string, dims int, typ uint32) []byte {
	at := bytes.Index(b, []byte(name)) + len(name) + 4 + 8*dims
	binary.LittleEndian.PutUint32(b[at:], typ)
	return b
}

// ggufSetString overwrites a string value of stories260K.gguf with one of
// the same length.
func ggufSetString(b []byte, key, val string) []byte {
	at := bytes.Index(b, []byte(key)) + len(key) + 4 + 8
	copy(b[at:], val)
	return b
}

// ggufDataOffset is where a tensor's data starts in the GGUF file b.
func ggufDataOffset(t *testing.T, b []byte, name string) int64 {
	t.Helper()
	p := filepath.Join(t.TempDir(), "probe.gguf")
	writeFile(t, p, b)
	g, err := gguf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ti, ok := g.Tensor(name)
	if !ok {
		t.Fatalf("no tensor %s", name)
	}
	return ti.Offset
}

func ggufHostileCases() []hostileCase {
	return []hostileCase{
		{"GGUF file with a bad magic (GGML)", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte { return append([]byte("GGML"), b[4:]...) })
		}, 1, "not a GGUF file"},
		{"GGUF version 1", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 1); return b })
		}, 1, "GGUF version 1 is not supported"},
		{"GGUF truncated (last 100 bytes cut)", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte { return b[:len(b)-100] })
		}, 1, "past the end of the file"},
		{"GGUF tensor whose dimensions are 0 and 2^63", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte {
				at := bytes.Index(b, []byte("token_embd.weight")) + len("token_embd.weight") + 4
				binary.LittleEndian.PutUint64(b[at:], 0)
				binary.LittleEndian.PutUint64(b[at+8:], 1<<63)
				return b
			})
		}, 1, "dimension 9223372036854775808 is not a valid size"},
		{"GGUF tensor of an unknown type (99)", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte { return ggufSetType(b, "output_norm.weight", 1, 99) })
		}, 1, "unknown type 99"},
		{"GGUF tensor of a type qfilters cannot dequantize (I32)", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte { return ggufSetType(b, "token_embd.weight", 2, 26) })
		}, 1, "has type I32"},
		{"GGUF tensor whose rows are not whole blocks (Q4_K, rows of 64)", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte { return ggufSetType(b, "token_embd.weight", 2, 12) })
		}, 1, "not a whole number of Q4_K blocks of 256"},
		{"GGUF Q8_0 weight whose f16 scale is infinite", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte {
				b = ggufSetType(b, "blk.0.attn_q.weight", 2, 8)
				binary.LittleEndian.PutUint16(b[ggufDataOffset(t, b, "blk.0.attn_q.weight"):], 0x7C00)
				return b
			})
		}, 1, "NaN or Inf at [0][0]"},
		{"GGUF tensor that maps to no weight of the model (output_xorm.weight)", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte {
				at := bytes.Index(b, []byte("output_norm.weight"))
				copy(b[at:], "output_xorm.weight")
				return b
			})
		}, 1, "output_xorm.weight"},
		{"GGUF of an unsupported architecture (bertx)", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte { return ggufSetString(b, "general.architecture", "bertx") })
		}, 1, `GGUF architecture "bertx" is not supported`},
		{"GGUF with an unsupported tokenizer model (bertx), text corpus", func(t *testing.T, e *hostileEnv) {
			ggufModel(t, e, func(b []byte) []byte { return ggufSetString(b, "tokenizer.ggml.model", "bertx") })
		}, 1, `tokenizer model "bertx" is not supported`},
	}
}

// TestTokenizeGGUF: tokenize --model file.gguf uses the GGUF's own
// vocabulary as llama.cpp does: the Hugging Face ids, after the BOS that
// llama.cpp's SentencePiece default adds (none with --no-special).
func TestTokenizeGGUF(t *testing.T) {
	cases := readTokenizeCases(t, "stories260K")
	path := fixture.Path("stories260K-gguf", "stories260K.gguf")
	checkTokenize(t, path, cases, func(c tokenizeCase) []int { return append([]int{1}, c.IDs...) })
	checkTokenize(t, path, cases, func(c tokenizeCase) []int { return c.IDs }, "--no-special")
}

// TestCalibrateEvalGGUF: calibrate and eval run on a GGUF file end to end;
// the default output is named after the file without .gguf.
func TestCalibrateEvalGGUF(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "stories260K.gguf")
	b, err := os.ReadFile(fixture.Path("stories260K-gguf", "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b)
	t.Chdir(dir)
	if code, _, stderr := runCLI(t, "calibrate", "--model", path, "--corpus", fixture.StoriesCorpus(), "--quiet", "--seq-len", "64", "--num-seqs", "4"); code != 0 {
		t.Fatalf("calibrate: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "stories260K_qfilt")); err != nil {
		t.Fatalf("default output: %v", err)
	}
	if code, _, stderr := runCLI(t, "eval", "--model", path, "--corpus", fixture.StoriesCorpus(), "--quiet", "--seq-len", "64", "--max-docs", "2", "--skip-docs", "80"); code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
}
