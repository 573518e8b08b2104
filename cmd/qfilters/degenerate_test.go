package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// TestDegenerateCalibrationWarns: fewer sampled queries per head than
// head_dim, or a single sequence, still calibrates but says why the filters
// cannot be trusted; an ordinary run says nothing.
func TestDegenerateCalibrationWarns(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--num-seqs", "2", "--seq-len", "64", "--samples", "5"}, []string{"warning: 5 sampled queries per head for 8 dimensions"}},
		{[]string{"--num-seqs", "1", "--seq-len", "64"}, []string{"warning: calibrating on 1 sequence"}},
		{[]string{"--num-seqs", "2", "--seq-len", "64"}, nil},
	} {
		args := append([]string{"calibrate", "--out", dir + "/" + strings.Join(c.args, "_"), "--quiet"}, c.args...)
		code, _, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: %s", c.args, stderr)
		}
		if strings.Count(stderr, "\n") != len(c.want) {
			t.Errorf("%v: stderr %q, want %d lines", c.args, stderr, len(c.want))
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, "qfilters: "+w) {
				t.Errorf("%v: stderr %q lacks %q", c.args, stderr, w)
			}
		}
	}
}

// TestSingularMessages: one of a thing is named in the singular ("1
// document", "1 shard"), not "1 documents".
func TestSingularMessages(t *testing.T) {
	dir := t.TempDir()
	corpus := dir + "/one.jsonl"
	writeFile(t, corpus, []byte(`{"text": "Once upon a time there was a cat."}`+"\n"))
	_, _, stderr := runCLI(t, "stats", "--corpus", corpus, "--num-samples", "2", "--out", dir+"/st", "--quiet")
	if !strings.Contains(stderr, "has 1 document, fewer than --num-samples 2") {
		t.Errorf("stats: %q", stderr)
	}
	_, _, stderr = runCLI(t, "calibrate", "--corpus", corpus, "--num-seqs", "2", "--seq-len", "8", "--out", dir+"/f", "--quiet")
	if !strings.Contains(stderr, "has 1 document of >= 8 tokens, need 2 (1 document seen") {
		t.Errorf("calibrate: %q", stderr)
	}
	if code, _, stderr := runCLI(t, "calibrate", "--shard", "0/1", "--stats-out", dir+"/s.safetensors", "--num-seqs", "2", "--seq-len", "64", "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := runCLI(t, "merge", "--out", dir+"/m", dir+"/s.safetensors")
	if code != 0 || !strings.Contains(stdout, "from 1 shard:") {
		t.Errorf("merge: %q %q", stdout, stderr)
	}
}

// TestWarnPastContext: sequences longer than max_position_embeddings (64 in
// the ministral3 fixture) are calibrated, with one warning line.
func TestWarnPastContext(t *testing.T) {
	dir := fixture.Arch("ministral3")
	tmp := t.TempDir()
	var lines bytes.Buffer
	for s := range 2 {
		ids := make([]int, 80)
		for i := range ids {
			ids[i] = 3 + (7*i+s)%50
		}
		b, _ := json.Marshal(map[string]any{"input_ids": ids})
		lines.Write(append(b, '\n'))
	}
	corpusPath := filepath.Join(tmp, "ids.jsonl")
	os.WriteFile(corpusPath, lines.Bytes(), 0o644)
	for seqLen, want := range map[int]string{64: "", 80: "--seq-len 80 is past the model's max_position_embeddings (64)"} {
		code, _, stderr := runCLI(t, "calibrate", "--model", dir, "--corpus", corpusPath, "--out", filepath.Join(tmp, fmt.Sprint(seqLen)),
			"--seq-len", fmt.Sprint(seqLen), "--num-seqs", "2", "--quiet")
		if code != 0 || (want == "") != (stderr == "") || !strings.Contains(stderr, want) || strings.Count(stderr, "\n") > 1 {
			t.Errorf("--seq-len %d: exit %d, stderr %q, want %q", seqLen, code, stderr, want)
		}
	}
}
