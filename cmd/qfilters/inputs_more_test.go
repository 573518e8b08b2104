package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMergeExpandsGlobs: merge 'DIR/*.safetensors' (quoted, as a Slurm
// script or CI step may pass it) merges the shards it matches, as listing
// them does; a pattern matching nothing is one line.
func TestMergeExpandsGlobs(t *testing.T) {
	dir := t.TempDir()
	for i := range 2 {
		args := []string{"calibrate", "--shard", fmt.Sprintf("%d/2", i), "--stats-out", filepath.Join(dir, "s", fmt.Sprintf("shard%d.safetensors", i)), "--quiet", "--num-seqs", "4", "--seq-len", "64"}
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatal(stderr)
		}
	}
	if code, _, stderr := runCLI(t, "merge", "--out", filepath.Join(dir, "listed"), filepath.Join(dir, "s", "shard1.safetensors"), filepath.Join(dir, "s", "shard0.safetensors")); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := runCLI(t, "merge", "--out", filepath.Join(dir, "globbed"), filepath.Join(dir, "s", "*.safetensors")); code != 0 {
		t.Fatalf("glob: %s", stderr)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "listed", "model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(dir, "globbed", "model.safetensors"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("the glob's merge differs from the listed shards'")
	}
	code, _, stderr := runCLI(t, "merge", "--out", filepath.Join(dir, "none"), filepath.Join(dir, "s", "*.st"))
	if code != 1 || !strings.Contains(stderr, "*.st: no files match the pattern") {
		t.Errorf("empty glob: exit %d, %q", code, stderr)
	}
}

// TestStatsPreTokenized: stats takes input_ids documents as they are (it
// refused them), needing no tokenizer; the same ids as text give the same
// statistics.
func TestStatsPreTokenized(t *testing.T) {
	dir := t.TempDir()
	texts := []string{"Once upon a time there was a little dog.", "The sun was hot and the girl was happy.", "Tom had a red ball. He liked to play."}
	var textLines, stdin strings.Builder
	for _, s := range texts {
		fmt.Fprintf(&textLines, "{\"text\": %q}\n", s)
	}
	stdin.WriteString(textLines.String())
	var ids bytes.Buffer
	if code := run([]string{"tokenize"}, strings.NewReader(stdin.String()), &ids, &bytes.Buffer{}); code != 0 {
		t.Fatal("tokenize failed")
	}
	os.WriteFile(filepath.Join(dir, "text.jsonl"), []byte(textLines.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "ids.jsonl"), ids.Bytes(), 0o644)
	for _, name := range []string{"text", "ids"} {
		args := []string{"stats", "--corpus", filepath.Join(dir, name+".jsonl"), "--out", filepath.Join(dir, "out-"+name), "--num-samples", "3", "--n-sink", "1", "--quiet"}
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatalf("%s: %s", name, stderr)
		}
	}
	a, _ := os.ReadFile(filepath.Join(dir, "out-text", "model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(dir, "out-ids", "model.safetensors"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("input_ids statistics differ from the text's")
	}
}

// TestTokenizeDefaults: tokenize without --model uses the embedded model's
// tokenizer (it required --model), and --text-field names the field.
func TestTokenizeDefaults(t *testing.T) {
	var a, b, c bytes.Buffer
	run([]string{"tokenize", "--model", storiesSrc}, strings.NewReader(`{"text": "Once upon a time"}`+"\n"), &a, &bytes.Buffer{})
	if code := run([]string{"tokenize"}, strings.NewReader(`{"text": "Once upon a time"}`+"\n"), &b, &bytes.Buffer{}); code != 0 {
		t.Fatal("tokenize without --model failed")
	}
	if code := run([]string{"tokenize", "--text-field", "body"}, strings.NewReader(`{"body": "Once upon a time"}`+"\n"), &c, &bytes.Buffer{}); code != 0 {
		t.Fatal("--text-field body failed")
	}
	if a.Len() == 0 || a.String() != b.String() || a.String() != c.String() {
		t.Errorf("ids %q, %q, %q", a.String(), b.String(), c.String())
	}
}
