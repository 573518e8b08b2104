package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestCompressedCorpusSameFilters: the embedded model calibrated on its
// corpus gzipped, zstd-compressed, or as one JSON array gives byte for byte
// the filters of the plain JSON Lines file.
func TestCompressedCorpusSameFilters(t *testing.T) {
	plain, err := os.ReadFile(storiesCorpus)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var gz, zs, arr bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(plain)
	gw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(plain)
	zw.Close()
	arr.WriteString("[\n")
	for i, line := range bytes.Split(bytes.TrimSpace(plain), []byte("\n")) {
		if i > 0 {
			arr.WriteString(",\n")
		}
		arr.Write(line)
	}
	arr.WriteString("\n]\n")
	corpora := map[string][]byte{"train.jsonl": plain, "train.jsonl.gz": gz.Bytes(), "train.jsonl.zst": zs.Bytes(), "train.json": arr.Bytes()}
	var want []byte
	for _, name := range []string{"train.jsonl", "train.jsonl.gz", "train.jsonl.zst", "train.json"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, corpora[name], 0o644)
		out := filepath.Join(dir, "out-"+name)
		if code, _, stderr := runCLI(t, "calibrate", "--corpus", p, "--out", out, "--quiet", "--num-seqs", "4", "--seq-len", "128"); code != 0 {
			t.Fatalf("%s: %s", name, stderr)
		}
		got, _ := os.ReadFile(filepath.Join(out, "model.safetensors"))
		if want == nil {
			want = got
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s: filters differ from the plain corpus's", name)
		}
	}
}
