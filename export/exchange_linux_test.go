//go:build linux

package export

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestForceSwapsInOneStep: on Linux, --force never leaves a moment when the
// output path does not exist: the new directory and the old are swapped in
// one step, and the old one (not a mix) is what gets deleted.
func TestForceSwapsInOneStep(t *testing.T) {
	parent := t.TempDir()
	a, b := filepath.Join(parent, "a"), filepath.Join(parent, "b")
	for _, d := range []string{a, b} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE); err != nil {
		t.Skipf("this file system cannot swap directories (%v): the fallback is used", err)
	}

	dir := filepath.Join(parent, "out")
	if err := Write(dir, sample()); err != nil {
		t.Fatal(err)
	}
	// The old directory alone has provenance (qfilters.json): the marker
	// that it is gone.
	newer := sample()
	newer.Provenance = nil
	testHookAside = func(string) { t.Error("the old directory was moved aside: the output path was briefly absent") }
	defer func() { testHookAside = nil }()

	// A reader looking at the path all along must always find a directory.
	stop, absent := make(chan struct{}), make(chan int, 1)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				absent <- n
				return
			default:
			}
			if _, err := os.Lstat(dir); err != nil {
				n++
			}
		}
	}()
	for range 20 {
		if err := WriteWith(dir, newer, WriteOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if n := <-absent; n > 0 {
		t.Errorf("a reader found %s missing %d times", dir, n)
	}
	if _, err := os.Stat(filepath.Join(dir, ProvenanceFile)); err == nil {
		t.Error("the old directory's file is in the new output")
	}
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		if e.Name() != "a" && e.Name() != "b" && e.Name() != "out" {
			t.Errorf("left beside the output: %s", e.Name())
		}
	}
}

// TestForceFallback: where the system cannot swap, --force still replaces
// the directory (old one aside, new one in, old one deleted) and leaves
// nothing else behind.
func TestForceFallback(t *testing.T) {
	swapDirs = func(a, b string) (bool, error) { return false, nil }
	defer func() { swapDirs = exchangeDirs }()
	aside := 0
	testHookAside = func(string) { aside++ }
	defer func() { testHookAside = nil }()
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	if err := Write(dir, sample()); err != nil {
		t.Fatal(err)
	}
	// The old directory alone has provenance (qfilters.json): the marker
	// that it is gone.
	newer := sample()
	newer.Provenance = nil
	if err := WriteWith(dir, newer, WriteOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if aside != 1 {
		t.Errorf("the fallback moved the old directory aside %d times, want 1", aside)
	}
	if _, err := os.Stat(filepath.Join(dir, ProvenanceFile)); err == nil {
		t.Error("the old directory's file is in the new output")
	}
	if _, err := Read(dir); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, parent, "out")
}
