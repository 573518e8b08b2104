package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readmeBlocks returns README.md's fenced code blocks, each with the line
// before its opening fence.
func readmeBlocks(t *testing.T) (blocks [][]string, marks []string) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var prev string
	var cur []string
	inside := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```") && !inside:
			inside, cur = true, nil
			marks = append(marks, prev)
		case strings.HasPrefix(line, "```"):
			inside = false
			blocks = append(blocks, cur)
		case inside:
			cur = append(cur, line)
		}
		prev = line
	}
	return blocks, marks
}

// TestReadmeIsShortAndHonest: README.md stays a five-minute read (under
// 12 KB), and every code block in it says, in the line above it, whether a
// test runs it or it is an example (kvpress-snippet blocks are those make
// kvpress-test runs).
func TestReadmeIsShortAndHonest(t *testing.T) {
	st, err := os.Stat(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() >= 12<<10 {
		t.Errorf("README.md is %d bytes: move reference material into docs/", st.Size())
	}
	blocks, marks := readmeBlocks(t)
	for i, m := range marks {
		if !strings.HasPrefix(m, "<!-- tested: ") && !strings.HasPrefix(m, "<!-- example") && !strings.HasPrefix(m, "<!-- kvpress-snippet: ") {
			t.Errorf("code block %d (%q...) is marked neither tested nor example", i, strings.Join(blocks[i][:min(1, len(blocks[i]))], ""))
		}
	}
}

// TestReadmeQuickStart runs the README's quick start as written, line by
// line, in an empty directory.
func TestReadmeQuickStart(t *testing.T) {
	bin := qfiltersBinary(t)
	blocks, marks := readmeBlocks(t)
	var lines []string
	for i, m := range marks {
		if strings.Contains(m, "TestReadmeQuickStart") {
			lines = blocks[i]
		}
	}
	if len(lines) == 0 {
		t.Fatal("README.md has no block marked for TestReadmeQuickStart")
	}
	dir := t.TempDir()
	for _, line := range lines {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		args := strings.Fields(line)
		if len(args) == 0 {
			continue
		}
		if args[0] != "qfilters" {
			t.Fatalf("quick start line %q does not run qfilters", line)
		}
		cmd := exec.Command(bin, args[1:]...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", line, err, out)
		}
	}
}
