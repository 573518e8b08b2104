package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOutputUnderAFile: an output path that runs through a file is refused
// before the run, naming the file (calibrate used to run the whole
// calibration, then say "lstat F/x: not a directory"); so is a file where a
// directory output goes, even with --force.
func TestOutputUnderAFile(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	os.WriteFile(file, []byte("mine"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"calibrate", "--out", filepath.Join(file, "x")}, "output " + filepath.Join(file, "x") + ": " + file + " is not a directory"},
		{[]string{"calibrate", "--out", filepath.Join(file, "x", "y"), "--force"}, "output " + filepath.Join(file, "x", "y") + ": " + file + " is not a directory"},
		{[]string{"calibrate", "--out", file, "--force"}, file + " exists and is not a directory; refusing to replace it"},
		{[]string{"calibrate", "--shard", "0/2", "--stats-out", filepath.Join(file, "p")}, "output " + filepath.Join(file, "p") + ": " + file + " is not a directory"},
		{[]string{"stats", "--out", filepath.Join(file, "x")}, "output " + filepath.Join(file, "x") + ": " + file + " is not a directory"},
		{[]string{"stats", "--out", file, "--force"}, file + " exists and is not a directory; refusing to replace it"},
		// merge checks before it reads a shard (these do not exist).
		{[]string{"merge", "--out", filepath.Join(file, "x"), filepath.Join(tmp, "s0")}, "output " + filepath.Join(file, "x") + ": " + file + " is not a directory"},
		{[]string{"merge", "--out", file, "--force", filepath.Join(tmp, "s0")}, file + " exists and is not a directory; refusing to replace it"},
	} {
		args := tc.args
		if args[0] != "merge" { // merge has no progress to quiet
			args = append(args, "--quiet")
		}
		code, stdout, stderr := runCLI(t, args...)
		if code != 1 || stdout != "" || stderr != "qfilters: "+tc.want+"\n" {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
	if b, _ := os.ReadFile(file); string(b) != "mine" {
		t.Error("the file was touched")
	}
}
