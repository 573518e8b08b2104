package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// snapshot lists every file under dir with its contents, to show a refused
// --force touched nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			files[p] = string(b)
		}
		return nil
	})
	return files
}

func sameFiles(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestForceRefusesWhatQfiltersDidNotWrite: --force replaced any directory
// --out named (a project, the model being read, a working directory).
// Now it replaces only a directory qfilters wrote, and never an input's
// directory or the current one; each refusal is one line and leaves every
// file as it was.
func TestForceRefusesWhatQfiltersDidNotWrite(t *testing.T) {
	tmp := t.TempDir()
	modelDir := copyFlat(t, fixture.Stories260K(), filepath.Join(tmp, "model"))
	corpusDir := filepath.Join(tmp, "corpus")
	os.MkdirAll(corpusDir, 0o755)
	corpusFile := filepath.Join(corpusDir, "train.jsonl")
	b, _ := os.ReadFile(fixture.StoriesCorpus())
	os.WriteFile(corpusFile, b, 0o644)

	// A user's project: their own files, and a qfilters output inside.
	proj := filepath.Join(tmp, "proj")
	os.MkdirAll(filepath.Join(proj, "src"), 0o755)
	os.WriteFile(filepath.Join(proj, "notes.txt"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(proj, "src", "main.go"), []byte("package main"), 0o644)
	filters := filepath.Join(proj, "filters")
	if code, _, stderr := runCLI(t, "calibrate", "--out", filters, "--quiet", "--num-seqs", "2", "--seq-len", "64"); code != 0 {
		t.Fatalf("calibrate: %s", stderr)
	}
	// A qfilters output the user has added a file to is theirs now.
	polluted := filepath.Join(tmp, "polluted")
	if code, _, stderr := runCLI(t, "calibrate", "--out", polluted, "--quiet", "--num-seqs", "2", "--seq-len", "64"); code != 0 {
		t.Fatalf("calibrate: %s", stderr)
	}
	os.WriteFile(filepath.Join(polluted, "eval.md"), []byte("my results"), 0o644)
	// A stats shard file, and a file of the user's where one would go.
	userFile := filepath.Join(tmp, "data.safetensors")
	os.WriteFile(userFile, []byte("not stats"), 0o644)

	before := snapshot(t, tmp)
	model := []string{"--model", modelDir, "--corpus", corpusFile}
	small := []string{"--seq-len", "64", "--num-seqs", "2"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"calibrate", "--out", proj}, "refusing to replace " + proj + ": it holds filters/, notes.txt, src/, which qfilters did not write (--force replaces only a directory qfilters wrote)"},
		{[]string{"stats", "--out", proj}, "refusing to replace " + proj + ": it holds filters/, notes.txt, src/, which qfilters did not write"},
		{[]string{"calibrate", "--out", polluted}, "refusing to replace " + polluted + ": it holds eval.md (besides 5 qfilters files), which qfilters did not write"},
		{append(append([]string{"calibrate", "--out", modelDir}, model...), small...), "refusing to replace " + modelDir + ": it holds the input " + modelDir},
		{append(append([]string{"calibrate", "--out", corpusDir}, model...), small...), "refusing to replace " + corpusDir + ": it holds the input " + corpusDir},
		{append(append([]string{"calibrate", "--out", tmp}, model...), small...), "refusing to replace " + tmp + ": it holds the input " + modelDir},
		{append([]string{"stats", "--out", modelDir, "--num-samples", "4"}, model...), "refusing to replace " + modelDir + ": it holds the input " + modelDir},
		// An old qfilters output inside the model directory is still the model's.
		{[]string{"calibrate", "--shard", "0/2", "--stats-out", userFile}, "refusing to replace " + userFile + ": it is not a statistics file qfilters wrote"},
		{[]string{"merge", "--out", proj, userFile}, "refusing to replace " + proj + ": it holds filters/, notes.txt, src/"},
	} {
		args := append(tc.args, "--force")
		if args[0] != "merge" {
			args = append(args, "--quiet")
		}
		code, stdout, stderr := runCLI(t, args...)
		if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "qfilters: "+tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, want one line starting %q", tc.args, code, stderr, tc.want)
		}
	}
	if after := snapshot(t, tmp); !sameFiles(before, after) {
		t.Errorf("a refused --force changed files: %d before, %d after", len(before), len(after))
	}

	// Run from inside the project, --out naming the project itself or its
	// parent is refused even when the project is a qfilters output.
	t.Chdir(filters)
	for _, out := range []string{"../filters", filters, "..", tmp} {
		code, _, stderr := runCLI(t, "calibrate", "--out", out, "--force", "--quiet")
		if code != 1 || !strings.Contains(stderr, "it is or holds the current directory") {
			t.Errorf("--out %s from inside it: exit %d, %q", out, code, stderr)
		}
	}
	if after := snapshot(t, tmp); !sameFiles(before, after) {
		t.Error("a refused --force on the current directory changed files")
	}

	// What qfilters wrote is still replaced.
	t.Chdir(tmp)
	if code, _, stderr := runCLI(t, "calibrate", "--out", filters, "--force", "--quiet", "--num-seqs", "2", "--seq-len", "64", "--seed", "1"); code != 0 {
		t.Fatalf("--force over a qfilters output: %s", stderr)
	}
	entries, _ := os.ReadDir(filters)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "README.md config.json model.safetensors qfilters.json qfilters.safetensors" {
		t.Errorf("replaced output holds %v", names)
	}
}
