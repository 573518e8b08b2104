package main

import (
	"strings"
	"testing"
)

// TestFlagValueErrors: a flag value that does not parse is a usage error
// (exit 2) named by the flag, without Go's strconv wording.
func TestFlagValueErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"calibrate", "--seed", "x"}, `--seed must be a whole number, got "x"`},
		{[]string{"calibrate", "--seq-len", "99999999999999999999"}, `--seq-len: "99999999999999999999" is out of range`},
		{[]string{"calibrate", "--json=maybe"}, `--json must be true or false, got "maybe"`},
		{[]string{"eval", "--seed", "x"}, `--seed must be a whole number, got "x"`}, // an int64 everywhere
		{[]string{"eval", "--ratios", "2,x"}, `--ratios must be whole numbers separated by commas, got "2,x"`},
		{[]string{"diff", "--min-cos", "abc", "a", "b"}, `--min-cos must be a number, got "abc"`},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code != 2 || stderr != "qfilters: "+c.want+"\n" {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
		if strings.Contains(stderr, "strconv") {
			t.Errorf("%v: %q names Go's strconv", c.args, stderr)
		}
	}
}

// TestHelpUnknownTopic: help on a command that does not exist is a bad
// command line, one line and exit 2, as the unknown command itself is.
func TestHelpUnknownTopic(t *testing.T) {
	for _, args := range [][]string{{"help", "bogus"}, {"bogus"}, {"help", "calibrate", "extra"}} {
		code, _, stderr := runCLI(t, args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	if code, stdout, _ := runCLI(t, "help", "calibrate"); code != 0 || !strings.Contains(stdout, "--num-seqs") {
		t.Errorf("help calibrate: exit %d, %q", code, stdout)
	}
}
