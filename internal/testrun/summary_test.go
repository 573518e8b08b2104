package main

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
)

// testdata/events.jsonl is `go test -json ./...` (Go 1.26, times dropped) on
// a module of four packages: pass (a passing test that logs, two subtests
// and a test skipping with the third-party prefix, the same file twice, and
// an unrelated skip), fail (a passing test and a failing subtest), broken
// (a compile error) and none (no test files).
func TestSummarize(t *testing.T) {
	f, err := os.Open("testdata/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	sum := summarize(f, &out)
	got := out.String()

	if sum.skipped != 3 || !slices.Equal(sum.files, []string{"../shared/tokenizers/a/tokenizer.json", "../shared/tokenizers/b/tokenizer.json"}) {
		t.Errorf("skipped %d, files %v", sum.skipped, sum.files)
	}
	if sum.failed != 4 { // TestBad/sub, TestBad, ex/fail, ex/broken
		t.Errorf("failed %d, want 4", sum.failed)
	}
	for _, want := range []string{
		"broken/b_test.go:5:28: undefined: undefinedThing",
		"FAIL\tex/broken [build failed]",
		"?   \tex/none\t[no test files]",
		"ok  \tex/pass\t",
		"f_test.go:7: the sub went wrong",
		"--- FAIL: TestBad (",
		"FAIL\tex/fail\t",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"chatter of a passing test", "=== RUN", "needs third-party file", "no AVX-512", "PASS\n"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("output has %q:\n%s", unwanted, got)
		}
	}
	if line := sum.line(); !strings.HasPrefix(line, "3 tests skipped for want of 2 third-party files") {
		t.Errorf("summary line %q", line)
	}
	if line := (summary{}).line(); line != "no test skipped for want of a third-party file" {
		t.Errorf("summary line with no skip %q", line)
	}
}

// TestSummarizePassesOtherLines: a line that is not an event (go test's
// own complaints) is printed as is.
func TestSummarizePassesOtherLines(t *testing.T) {
	var out bytes.Buffer
	summarize(strings.NewReader("go: cannot find main module\n"), &out)
	if out.String() != "go: cannot find main module\n" {
		t.Errorf("got %q", out.String())
	}
}
