package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/qfilters/qfilters/internal/fixture"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// summary is what the run skipped and failed.
type summary struct {
	skipped int      // tests skipped for want of a third-party file
	files   []string // those files, sorted, once each
	failed  int      // tests and packages that failed
}

// summarize reads go test's JSON events from r and writes to w what plain
// `go test` would: per package its "ok", "?" or "FAIL" line, and the output
// of every failing test or package (build errors included). Output of
// tests that pass or skip is dropped, after counting the skips that name a
// third-party file.
func summarize(r io.Reader, w io.Writer) summary {
	var sum summary
	type key struct{ pkg, test string }
	buf := map[key][]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			fmt.Fprintln(w, sc.Text()) // not an event: pass it on
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "output":
			buf[k] = append(buf[k], e.Output)
		case "build-output":
			io.WriteString(w, e.Output)
		case "fail":
			sum.failed++
			for _, line := range buf[k] {
				if e.Test == "" || !framing(line) {
					io.WriteString(w, line)
				}
			}
			delete(buf, k)
		case "pass", "skip":
			for _, line := range buf[k] {
				switch {
				case e.Test == "" && (strings.HasPrefix(line, "ok  ") || strings.HasPrefix(line, "?   ")):
					io.WriteString(w, line)
				case e.Action == "skip" && e.Test != "":
					if f, ok := thirdPartyFile(line); ok {
						sum.skipped++
						if !slices.Contains(sum.files, f) {
							sum.files = append(sum.files, f)
						}
					}
				}
			}
			delete(buf, k)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(w, "testrun: reading go test's output:", err)
		sum.failed++
	}
	slices.Sort(sum.files)
	return sum
}

// framing reports the lines test2json adds around a test's own output.
func framing(line string) bool {
	for _, p := range []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// thirdPartyFile returns the file a fixture.Shared skip line names:
// "    x_test.go:12: needs third-party file ../shared/a/b.json: why".
func thirdPartyFile(line string) (string, bool) {
	_, rest, ok := strings.Cut(line, fixture.SkipPrefix+" ")
	if !ok {
		return "", false
	}
	file, _, _ := strings.Cut(strings.TrimSpace(rest), ": ")
	return file, true
}

// line is the last line `make test` prints.
func (s summary) line() string {
	if s.skipped == 0 {
		return "no test skipped for want of a third-party file"
	}
	return fmt.Sprintf("%d tests skipped for want of %d third-party files (not in the repository; CI has them): %s",
		s.skipped, len(s.files), strings.Join(s.files, ", "))
}
