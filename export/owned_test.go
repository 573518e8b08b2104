package export

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteForceReplacesOnlyOwnDirectories: WriteWith with Force replaces
// a filter directory it wrote (or an empty one), and refuses, leaving every
// file, a directory holding anything else.
func TestWriteForceReplacesOnlyOwnDirectories(t *testing.T) {
	f := sample()
	tmp := t.TempDir()
	own := filepath.Join(tmp, "own")
	if err := Write(own, f); err != nil {
		t.Fatal(err)
	}
	if err := WriteWith(own, f, WriteOptions{Force: true}); err != nil {
		t.Errorf("replacing a directory qfilters wrote: %v", err)
	}
	empty := filepath.Join(tmp, "empty")
	os.Mkdir(empty, 0o755)
	if err := WriteWith(empty, f, WriteOptions{Force: true}); err != nil {
		t.Errorf("replacing an empty directory: %v", err)
	}

	for name, setup := range map[string]func(dir string){
		"a user file":    func(dir string) { os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644) },
		"a subdirectory": func(dir string) { os.Mkdir(filepath.Join(dir, "sub"), 0o755) },
		"a model config": func(dir string) {
			os.WriteFile(filepath.Join(dir, ConfigFile), []byte(`{"model_type":"llama"}`), 0o644)
		},
		"config.json not JSON": func(dir string) { os.WriteFile(filepath.Join(dir, ConfigFile), []byte("{"), 0o644) },
		"a README only":        func(dir string) { os.WriteFile(filepath.Join(dir, ReadmeFile), []byte("# my project"), 0o644) },
	} {
		dir := filepath.Join(tmp, strings.ReplaceAll(name, " ", "_"))
		os.Mkdir(dir, 0o755)
		setup(dir)
		before, _ := os.ReadDir(dir)
		err := WriteWith(dir, f, WriteOptions{Force: true})
		if err == nil || !strings.Contains(err.Error(), "refusing to replace") {
			t.Errorf("%s: err %v, want a refusal", name, err)
		}
		after, _ := os.ReadDir(dir)
		if len(after) != len(before) {
			t.Errorf("%s: entries %v -> %v", name, before, after)
		}
	}
	// Statistics directories are qfilters' too.
	if !ownConfig(filepath.Join(own, ConfigFile)) {
		t.Error("own config.json not recognised")
	}
}

// TestForceKeepsFilesAddedDuringTheWrite: a file the user puts into the
// output directory after --force checked it (while the new one is being
// written) is not deleted with the old output: the replacement is refused
// and the directory left as it is, with the swap and with the fallback.
func TestForceKeepsFilesAddedDuringTheWrite(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		if fallback {
			swapDirs = func(a, b string) (bool, error) { return false, nil }
		}
		parent := t.TempDir()
		dir := filepath.Join(parent, "out")
		if err := Write(dir, sample()); err != nil {
			t.Fatal(err)
		}
		notes := filepath.Join(dir, "notes.txt")
		err := writeDir(dir, WriteOptions{Force: true}, func(tmp string) error {
			if err := os.WriteFile(notes, []byte("mine"), 0o644); err != nil {
				return err
			}
			return writeFiles(tmp, sample())
		})
		swapDirs = exchangeDirs
		if err == nil || !strings.Contains(err.Error(), "refusing to replace "+dir+": it holds notes.txt") {
			t.Errorf("fallback %v: got %v, want a refusal naming %s", fallback, err, dir)
		}
		if b, err := os.ReadFile(notes); err != nil || string(b) != "mine" {
			t.Fatalf("fallback %v: the user's file is gone (%v)", fallback, err)
		}
		if _, err := os.Stat(filepath.Join(dir, ProvenanceFile)); err != nil {
			t.Errorf("fallback %v: the old output is not back in place: %v", fallback, err)
		}
		if entries, _ := os.ReadDir(parent); len(entries) != 1 {
			t.Errorf("fallback %v: left beside the output: %v", fallback, entries)
		}
	}
}
