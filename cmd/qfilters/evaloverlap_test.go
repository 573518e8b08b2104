package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/export"
)

// TestEvalSkipsCalibrationDocs: eval on the corpus the filters were
// calibrated on skips, by default, the documents calibration read (their
// hash is in the provenance) and says so; an explicit --skip-docs that
// leaves some in is kept with a warning; another corpus is evaluated from
// its start; filters whose provenance has no corpus hash get a warning that
// the text may overlap.
func TestEvalSkipsCalibrationDocs(t *testing.T) {
	dir := t.TempDir()
	text, err := os.ReadFile(storiesCorpus)
	if err != nil {
		t.Fatal(err)
	}
	same := filepath.Join(dir, "same.jsonl") // the calibration corpus, elsewhere
	writeFile(t, same, text)
	lines := strings.SplitAfter(string(text), "\n")
	other := filepath.Join(dir, "other.jsonl") // the same stories, the first one dropped
	writeFile(t, other, []byte(strings.Join(lines[1:], "")))

	filters := filepath.Join(dir, "f")
	if _, _, err := execute(t, "calibrate", "--model", storiesSrc, "--corpus", storiesCorpus, "--out", filters,
		"--num-seqs", "4", "--seq-len", "128", "--quiet"); err != nil {
		t.Fatal(err)
	}
	f, err := export.Read(filters)
	if err != nil {
		t.Fatal(err)
	}
	calibDocs := f.Provenance.CorpusDocs
	if calibDocs < 4 || f.Provenance.CorpusSHA256 == "" {
		t.Fatalf("provenance: corpus_docs %d, corpus_sha256 %q", calibDocs, f.Provenance.CorpusSHA256)
	}

	// No corpus hash: a copy of the filters without it.
	noHash := filepath.Join(dir, "nohash")
	if err := os.CopyFS(noHash, os.DirFS(filters)); err != nil {
		t.Fatal(err)
	}
	var prov map[string]any
	raw, _ := os.ReadFile(filepath.Join(noHash, export.ProvenanceFile))
	if err := json.Unmarshal(raw, &prov); err != nil {
		t.Fatal(err)
	}
	delete(prov, "corpus_sha256")
	raw, _ = json.Marshal(prov)
	if err := os.WriteFile(filepath.Join(noHash, export.ProvenanceFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name, filters, corpus string
		extra                 []string
		skip                  int
		stderr                string // "" : nothing
	}{
		{"same corpus", filters, same, nil, calibDocs, fmt.Sprintf("skipping the first %d documents of %s: %s was calibrated on them", calibDocs, same, filters)},
		{"same corpus, --skip-docs 1", filters, same, []string{"--skip-docs", "1"}, 1, fmt.Sprintf("warning: %s was calibrated on the first %d documents of %s", filters, calibDocs, same)},
		{"same corpus, --skip-docs past them", filters, same, []string{"--skip-docs", fmt.Sprint(calibDocs + 1)}, calibDocs + 1, ""},
		{"another corpus", filters, other, nil, 0, ""},
		{"no corpus hash", noHash, same, nil, 0, "the evaluation text may overlap the calibration text"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"eval", "--model", storiesSrc, "--filters", c.filters, "--corpus", c.corpus,
				"--max-docs", "1", "--seq-len", "128", "--cache-size", "-1", "--context", "-1", "--json"}, c.extra...)
			out, stderr, err := execute(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			var rep struct {
				SkipDocs int      `json:"skip_docs"`
				Sources  []string `json:"sources"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if rep.SkipDocs != c.skip {
				t.Errorf("skip_docs %d, want %d", rep.SkipDocs, c.skip)
			}
			if c.stderr == "" && stderr != "" {
				t.Errorf("stderr %q, want nothing", stderr)
			}
			if c.stderr != "" && (!strings.Contains(stderr, c.stderr) || strings.Count(stderr, "\n") != 1) {
				t.Errorf("stderr %q, want one line containing %q", stderr, c.stderr)
			}
		})
	}
	// --quiet silences the note, not the warning.
	for _, c := range []struct {
		extra []string
		want  string
	}{
		{nil, ""},
		{[]string{"--skip-docs", "1"}, "warning: "},
	} {
		args := append([]string{"eval", "--model", storiesSrc, "--filters", filters, "--corpus", same,
			"--max-docs", "1", "--seq-len", "128", "--cache-size", "-1", "--context", "-1", "--json", "--quiet"}, c.extra...)
		_, stderr, err := execute(t, args...)
		ok := stderr == ""
		if c.want != "" {
			ok = strings.HasPrefix(stderr, "qfilters: "+c.want)
		}
		if err != nil || !ok {
			t.Errorf("--quiet %v: stderr %q (%v), want %q", c.extra, stderr, err, c.want)
		}
	}
	// A run that fails selecting its text says so in one line: the note
	// about the documents skipped is not printed before the error.
	code, _, stderr := runCLI(t, "eval", "--model", storiesSrc, "--filters", filters, "--corpus", same, "--seq-len", "4096")
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "after skipping") {
		t.Errorf("failed eval: exit %d, stderr %q, want one line", code, stderr)
	}
}
