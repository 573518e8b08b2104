package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInputsCheckedBeforeOutput: with an existing output and a bad flag or
// input, the user is told of the flag or input (the real problem), not
// that the output exists.
func TestInputsCheckedBeforeOutput(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	os.Mkdir(out, 0o755)
	missing := filepath.Join(tmp, "missing.jsonl")
	model := copyFlat(t, storiesSrc, filepath.Join(tmp, "model"))
	os.WriteFile(filepath.Join(model, "config.json"), []byte("{"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"calibrate", "--out", out, "--corpus", missing}, "missing.jsonl: no such file or directory"},
		{[]string{"calibrate", "--out", out, "--checkpoint-every", "soon", "--resume"}, "--checkpoint-every"},
		{[]string{"calibrate", "--out", out, "--model", model, "--corpus", storiesCorpus}, "config.json"},
		{[]string{"calibrate", "--out", out, "--seq-len", "100000"}, "--seq-len"},
		{[]string{"stats", "--out", out, "--corpus", missing}, "missing.jsonl: no such file or directory"},
		{[]string{"stats", "--out", out, "--model", model, "--corpus", storiesCorpus}, "config.json"},
	} {
		_, _, stderr := runCLI(t, append(c.args, "--quiet")...)
		if !strings.Contains(stderr, c.want) || strings.Contains(stderr, "already exists") {
			t.Errorf("%v: %q, want the problem with %s", c.args, stderr, c.want)
		}
	}
}
