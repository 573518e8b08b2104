package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// firstKeys returns the first n keys of a JSON object, in order.
func firstKeys(t *testing.T, doc string, n int) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %q", doc)
	}
	var keys []string
	for len(keys) < n && dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	return keys
}

// TestJSONOutputsShareOneShape: calibrate, stats, merge, eval and synth
// --json (and a finished --resume) open with out, model, tokens, seconds in
// that order.
func TestJSONOutputsShareOneShape(t *testing.T) {
	dir := t.TempDir()
	shard := filepath.Join(dir, "s0.safetensors")
	qshard := filepath.Join(dir, "q0.safetensors")
	runs := [][]string{
		{"calibrate", "--out", filepath.Join(dir, "f"), "--num-seqs", "2", "--seq-len", "64", "--quiet", "--json", "--resume"},
		{"calibrate", "--out", filepath.Join(dir, "f"), "--num-seqs", "2", "--seq-len", "64", "--quiet", "--json", "--resume"},
		{"stats", "--out", filepath.Join(dir, "st"), "--num-samples", "4", "--quiet", "--json"},
		{"calibrate", "--shard", "0/1", "--stats-out", shard, "--num-seqs", "2", "--seq-len", "64", "--quiet", "--json"},
		{"merge", "--out", filepath.Join(dir, "m"), shard, "--json", "--quiet"},
		{"stats", "--shard", "0/1", "--stats-out", qshard, "--num-samples", "4", "--quiet", "--json"},
		{"merge", "--out", filepath.Join(dir, "mq"), qshard, "--json", "--quiet"},
		{"eval", "--filters", filepath.Join(dir, "f"), "--png", filepath.Join(dir, "e.png"), "--num-seqs", "2", "--cache-size", "-1", "--quiet", "--json"},
		{"synth", "--preset", "small", "--out", filepath.Join(dir, "synth"), "--json"},
	}
	for _, args := range runs {
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
		if got := strings.Join(firstKeys(t, stdout, 4), " "); got != "out model tokens seconds" {
			t.Errorf("%v: keys start %q", args, got)
		}
		var sum jobSummary
		json.Unmarshal([]byte(stdout), &sum)
		done := strings.Contains(stdout, "already_complete") // nothing ran
		ranModel := !done && args[0] != "synth"
		if sum.Out == "" || sum.Model == "" || (sum.Tokens > 0) != ranModel || (sum.Seconds > 0) == done {
			t.Errorf("%v: %+v", args, sum)
		}
	}
}
