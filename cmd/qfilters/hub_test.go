package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/internal/fixture"
)

// hubSnapshot puts stories260K in a fresh HF_HOME as huggingface_hub leaves
// a download: models--org--stories/snapshots/<hash>/ made of symlinks into
// blobs/, refs/main pointing at it. It returns the snapshot directory.
func hubSnapshot(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HUGGINGFACE_HUB_CACHE", "")
	t.Setenv("HF_HOME", home)
	const hash = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
	repo := filepath.Join(home, "hub", "models--org--stories")
	snap := filepath.Join(repo, "snapshots", hash)
	for _, d := range []string{filepath.Join(repo, "blobs"), filepath.Join(repo, "refs"), snap} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	src := fixture.Stories260K()
	entries, _ := os.ReadDir(src)
	for i, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		blob := "blob" + string(rune('a'+i))
		writeFile(t, filepath.Join(repo, "blobs", blob), b)
		symlink(t, filepath.Join("..", "..", "blobs", blob), filepath.Join(snap, e.Name()))
	}
	writeFile(t, filepath.Join(repo, "refs", "main"), []byte(hash))
	return snap
}

// TestHubID: --model org/name calibrates the cached snapshot, names the
// output {name}_qfilt and records the id; tokenize and eval take it too.
func TestHubID(t *testing.T) {
	hubSnapshot(t)
	t.Chdir(t.TempDir())
	code, _, stderr := runCLI(t, "calibrate", "--model", "org/stories", "--corpus", fixture.StoriesCorpus(), "--seq-len", "32", "--num-seqs", "2", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := export.Read("stories_qfilt")
	if err != nil {
		t.Fatal(err)
	}
	if p := f.Provenance; p.Model != "org/stories" || p.HubRevision != "main" || p.HubCommit != "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678" {
		t.Errorf("provenance model %q, revision %q, commit %q", p.Model, p.HubRevision, p.HubCommit)
	}
	if card, _ := os.ReadFile(filepath.Join("stories_qfilt", "README.md")); !strings.Contains(string(card), "- hub commit: a1b2c3d4e5f60718293a4b5c6d7e8f9012345678\n") {
		t.Error("the model card does not name the snapshot's commit")
	}
	code, _, stderr = runCLI(t, "stats", "--model", "org/stories", "--corpus", fixture.StoriesCorpus(), "--num-samples", "2", "--out", "st", "--quiet")
	if card, _ := os.ReadFile(filepath.Join("st", "README.md")); code != 0 || !strings.Contains(string(card), "hub commit: a1b2c3d4e5f60718293a4b5c6d7e8f9012345678") {
		t.Errorf("stats: exit %d (%s): its card does not name the commit", code, stderr)
	}
	code, _, stderr = runCLI(t, "eval", "--model", "org/stories", "--corpus", fixture.StoriesCorpus(), "--seq-len", "64", "--max-docs", "2", "--ppl-seqs", "1", "--quiet")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	// A directory of that name wins over the id.
	if err := os.MkdirAll("org/stories", 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "calibrate", "--model", "org/stories", "--corpus", fixture.StoriesCorpus(), "--out", "x", "--quiet")
	if code != 1 || !strings.Contains(stderr, "org/stories/config.json") {
		t.Errorf("directory org/stories: exit %d: %s", code, stderr)
	}
}

func TestHubIDMisses(t *testing.T) {
	hubSnapshot(t)
	home := os.Getenv("HF_HOME")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"calibrate", "--model", "org/absent", "--corpus", fixture.StoriesCorpus(), "--out", filepath.Join(t.TempDir(), "o")}, 1,
			"model org/absent is neither a directory nor in the Hugging Face cache (looked for " + filepath.Join(home, "hub", "models--org--absent", "refs", "main") + "); fetch it with `hf download org/absent`"},
		{[]string{"tokenize", "--model", "org/stories", "--revision", "v9"}, 1, "fetch it with `hf download org/stories --revision v9`"},
		{[]string{"tokenize", "--model", "absent.gguf"}, 1, "--model absent.gguf: no such file"},
		{[]string{"calibrate", "--model", fixture.Stories260K(), "--revision", "main", "--corpus", fixture.StoriesCorpus(), "--out", filepath.Join(t.TempDir(), "o")}, 2, "--revision applies to a Hugging Face id"},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code != c.code || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
}

func TestTokenizeHubID(t *testing.T) {
	hubSnapshot(t)
	var out strings.Builder
	code := run([]string{"tokenize", "--model", "org/stories"}, strings.NewReader(`{"text": "Once upon a time"}`+"\n"), &out, &strings.Builder{})
	var want strings.Builder
	run([]string{"tokenize", "--model", fixture.Stories260K()}, strings.NewReader(`{"text": "Once upon a time"}`+"\n"), &want, &strings.Builder{})
	if code != 0 || out.String() != want.String() || !strings.Contains(out.String(), "input_ids") {
		t.Errorf("exit %d: %q, want %q", code, out.String(), want.String())
	}
}

// TestHubIDGGUF: a snapshot of GGUF files without config.json (a llama.cpp
// repository) calibrates its one file; with several, the error lists them.
func TestHubIDGGUF(t *testing.T) {
	snap := hubSnapshot(t)
	entries, _ := os.ReadDir(snap)
	for _, e := range entries {
		os.Remove(filepath.Join(snap, e.Name()))
	}
	gguf, err := os.ReadFile(fixture.Path("stories260K-gguf", "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(snap, "stories260K-f32.gguf"), gguf)
	t.Chdir(t.TempDir())
	code, _, stderr := runCLI(t, "calibrate", "--model", "org/stories", "--corpus", fixture.StoriesCorpus(), "--seq-len", "32", "--num-seqs", "2", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := export.Read("stories_qfilt"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(snap, "stories260K-q8_0.gguf"), gguf)
	code, _, stderr = runCLI(t, "calibrate", "--model", "org/stories", "--corpus", fixture.StoriesCorpus(), "--out", "y", "--quiet")
	if code != 2 || !strings.Contains(stderr, "holds 2 GGUF files (stories260K-f32.gguf, stories260K-q8_0.gguf)") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("two GGUF files: exit %d: %s", code, stderr)
	}
}
