package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestWrite: the file appears whole with mode 0644, replacing the old one;
// a failed write leaves the old file and no temporary one, and its error
// names neither the operation nor the temporary file.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.bin")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("file holds %q, want new", b)
	}
	if fi, err := os.Stat(path); err != nil || (fi.Mode().Perm() != 0o644 && runtime.GOOS != "windows") {
		t.Errorf("mode %v, err %v; want 0644", fi.Mode(), err)
	}

	boom := errors.New("boom")
	if err := Write(path, func(w io.Writer) error { io.WriteString(w, "part"); return boom }); err != boom {
		t.Errorf("got %v, want the writer's error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("failed write changed the file to %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}

	err := Write(filepath.Join(dir, "no", "such", "f.bin"), func(io.Writer) error { return nil })
	if err == nil || !errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), dir) || strings.Contains(err.Error(), "open") {
		t.Errorf("missing directory: got %v, want a bare not-exist error", err)
	}
}
