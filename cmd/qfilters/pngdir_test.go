package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPNGCreatesDirectories: inspect --png and diff --png create missing
// parent directories, as --out does, and leave the picture alone in them
// (written atomically: no temporary file beside it); a file in the way is
// a usage error before any work, and nothing is written.
func TestPNGCreatesDirectories(t *testing.T) {
	dir := writeDir(t, knownFilters())
	root := t.TempDir()
	for _, args := range [][]string{
		{"inspect", dir, "--png", filepath.Join(root, "a", "b", "inspect.png")},
		{"diff", dir, dir, "--png", filepath.Join(root, "c", "diff.svg")},
	} {
		if _, _, err := execute(t, args...); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		pic := args[len(args)-1]
		ents, err := os.ReadDir(filepath.Dir(pic))
		if err != nil || len(ents) != 1 || ents[0].Name() != filepath.Base(pic) {
			t.Fatalf("%v: the picture's directory holds %v (%v)", args, ents, err)
		}
		if strings.HasSuffix(pic, ".png") {
			fh, err := os.Open(pic)
			if err != nil {
				t.Fatal(err)
			}
			_, err = png.Decode(fh)
			fh.Close()
			if err != nil {
				t.Errorf("%s: %v", pic, err)
			}
		}
	}

	notes := filepath.Join(root, "notes.txt")
	if err := os.WriteFile(notes, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := execute(t, "inspect", dir, "--png", filepath.Join(notes, "sub", "x.png"))
	var ec exitCoder
	if !asExitCoder(err, &ec) || ec.ExitCode() != 2 || !strings.Contains(err.Error(), notes+" is not a directory") {
		t.Errorf("--png under a file: want a usage error naming it, got %v", err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 3 {
		t.Errorf("written beside the refused picture: %v", ents)
	}
}
