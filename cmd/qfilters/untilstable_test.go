package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sameDir fails unless directories a and b hold the same files, byte for
// byte.
func sameDir(t *testing.T, a, b string) {
	t.Helper()
	ea, err := os.ReadDir(a)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := os.ReadDir(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ea) != len(eb) {
		t.Fatalf("%s has %d files, %s %d", a, len(ea), b, len(eb))
	}
	for i, e := range ea {
		if e.Name() != eb[i].Name() {
			t.Fatalf("%s holds %s where %s holds %s", a, e.Name(), b, eb[i].Name())
		}
		x, _ := os.ReadFile(filepath.Join(a, e.Name()))
		y, _ := os.ReadFile(filepath.Join(b, e.Name()))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s", e.Name(), a, b)
		}
	}
}

// TestUntilStableEqualsNumSeqs: on the embedded model, --until-stable 0.995
// stops at 16 sequences (min stability 0.9919 at 8, 0.9976 at 16), says so,
// and writes exactly the directory --num-seqs 16 writes, byte for byte
// (provenance and model card included); with --resume as well.
func TestUntilStableEqualsNumSeqs(t *testing.T) {
	dir := t.TempDir()
	until, pinned := filepath.Join(dir, "until"), filepath.Join(dir, "pinned")
	code, stdout, stderr := runCLI(t, "calibrate", "--until-stable", "0.995", "--out", until, "--json", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum calibrateSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	u := sum.UntilStable
	if u == nil || u.Sequences != 16 || u.Stopped != "stable" || u.Tokens != 16*256 || len(u.Rounds) != 3 || sum.Sequences != 16 || sum.Tokens != 16*256 {
		t.Fatalf("summary %+v, until %+v", sum, u)
	}
	if code, _, stderr := runCLI(t, "calibrate", "--num-seqs", "16", "--out", pinned, "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sameDir(t, until, pinned)

	resumed := filepath.Join(dir, "resumed")
	code, stdout, stderr = runCLI(t, "calibrate", "--until-stable", "0.995", "--out", resumed, "--resume", "--checkpoint-every", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"until-stable 0.995: stopped at 16 sequences (4096 tokens): every head's stability >= 0.995", "--num-seqs 16 gives these filters"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "until-stable 0.995: 8 sequences (2048 tokens): min stability 0.99") {
		t.Errorf("rounds not reported on stderr:\n%s", stderr)
	}
	sameDir(t, resumed, pinned)
	if _, err := os.Stat(resumed + ".resume"); !os.IsNotExist(err) {
		t.Errorf("checkpoint left behind: %v", err)
	}
}

func TestUntilStableRefusals(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--until-stable", "0.999", "--shard", "0/2", "--stats-out", filepath.Join(dir, "s")}, "cannot run sharded"},
		{[]string{"--until-stable", "0.999", "--also-stats", filepath.Join(dir, "a")}, "exclude each other"},
		{[]string{"--until-stable", "0.999", "--stats-out", filepath.Join(dir, "s")}, "writes filters, not --stats-out statistics"},
		{[]string{"--until-stable", "1.5"}, "must be a cosine in (0, 1]"},
		{[]string{"--until-stable", "0"}, "must be a cosine in (0, 1]"},
		{[]string{"--until-stable", "NaN"}, "must be a cosine in (0, 1]"},
	} {
		out := filepath.Join(dir, "out")
		code, _, stderr := runCLI(t, append([]string{"calibrate", "--out", out, "--quiet"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", c.args, code, stderr, c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%v: wrote %s", c.args, out)
		}
	}
}
