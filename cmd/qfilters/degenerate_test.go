package main

import (
	"strings"
	"testing"
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
