package safetensors

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// hfRepo builds a Hugging Face hub cache repository in a fresh directory:
//
//	hub/models--org--tiny/blobs/<sha>...
//	hub/models--org--tiny/snapshots/rev/<file> -> ../../blobs/<sha>
//
// holding either model.safetensors (sharded false) or two shards and an
// index, every file a relative symlink into blobs, as huggingface_hub
// writes them. It returns the snapshot directory and the repository root.
func hfRepo(t *testing.T, sharded bool) (snapshot, repo string) {
	t.Helper()
	repo = filepath.Join(t.TempDir(), "hub", "models--org--tiny")
	blobs := filepath.Join(repo, "blobs")
	snapshot = filepath.Join(repo, "snapshots", "0123abcd")
	for _, d := range []string{blobs, snapshot, filepath.Join(repo, "refs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	u8 := func(name string, v byte) Tensor {
		return Tensor{Name: name, DType: U8, Shape: []int{1}, Data: []byte{v}}
	}
	link := func(name, blob string) {
		t.Helper()
		if err := os.Symlink(filepath.Join("..", "..", "blobs", blob), filepath.Join(snapshot, name)); err != nil {
			t.Skip(err)
		}
	}
	if !sharded {
		if err := Write(filepath.Join(blobs, "aaaa1111"), []Tensor{u8("a", 1), u8("b", 2)}, nil); err != nil {
			t.Fatal(err)
		}
		link(singleFileName, "aaaa1111")
		return snapshot, repo
	}
	if err := Write(filepath.Join(blobs, "bbbb2222"), []Tensor{u8("a", 1), u8("b", 2)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(blobs, "cccc3333"), []Tensor{u8("c", 3)}, nil); err != nil {
		t.Fatal(err)
	}
	writeIndex(t, blobs, map[string]string{"a": "s1.safetensors", "b": "s1.safetensors", "c": "s2.safetensors"})
	if err := os.Rename(filepath.Join(blobs, indexFileName), filepath.Join(blobs, "dddd4444")); err != nil {
		t.Fatal(err)
	}
	link("s1.safetensors", "bbbb2222")
	link("s2.safetensors", "cccc3333")
	link(indexFileName, "dddd4444")
	return snapshot, repo
}

// TestHFCacheSnapshot: a snapshot of the hub cache opens, single-file and
// sharded, directly or through a symlink to the snapshot.
func TestHFCacheSnapshot(t *testing.T) {
	for _, sharded := range []bool{false, true} {
		snapshot, _ := hfRepo(t, sharded)
		want := []string{"a", "b"}
		if sharded {
			want = []string{"a", "b", "c"}
		}
		c := openT(t, snapshot)
		if !slices.Equal(c.Names(), want) {
			t.Errorf("sharded=%v: names %v, want %v", sharded, c.Names(), want)
		}
		for i, name := range want {
			if tt, err := c.Tensor(name); err != nil || tt.Data[0] != byte(i+1) {
				t.Errorf("sharded=%v: Tensor(%s) = %v, %v", sharded, name, tt, err)
			}
		}
		// Errors and Files name the files as the user gave them.
		for _, f := range c.Files() {
			if filepath.Dir(f) != snapshot {
				t.Errorf("Files() has %s, want a path in %s", f, snapshot)
			}
		}
		// A symlink to the snapshot (e.g. ~/models/tiny): the layout is judged
		// where the files really are.
		alias := filepath.Join(t.TempDir(), "tiny")
		if err := os.Symlink(snapshot, alias); err != nil {
			t.Skip(err)
		}
		if c := openT(t, alias); !slices.Equal(c.Names(), want) {
			t.Errorf("through %s: names %v", alias, c.Names())
		}
	}
}

// TestSymlinkRejections: every symlink that is neither inside the model
// directory nor into the cache's blobs is refused, with one line naming it.
func TestSymlinkRejections(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "passwd")
	if err := Write(secret, []Tensor{{Name: "a", DType: U8, Shape: []int{1}, Data: []byte{1}}}, nil); err != nil {
		t.Fatal(err)
	}
	single := func(dir string) string { return filepath.Join(dir, singleFileName) }
	relink := func(t *testing.T, path, target string) {
		t.Helper()
		os.Remove(path)
		if err := os.Symlink(target, path); err != nil {
			t.Skip(err)
		}
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, snapshot, repo string) (open, prefix string)
		want  string
	}{
		{"absolute outside", func(t *testing.T, s, r string) (string, string) {
			relink(t, single(s), secret)
			return s, single(s)
		}, "symlink resolves to " + secret + ", outside the model directory"},
		{"etc passwd", func(t *testing.T, s, r string) (string, string) {
			if _, err := os.Stat("/etc/passwd"); err != nil {
				t.Skip(err)
			}
			relink(t, single(s), "/etc/passwd")
			return s, single(s)
		}, "outside the model directory"},
		{"repo file outside blobs", func(t *testing.T, s, r string) (string, string) {
			os.WriteFile(filepath.Join(r, "secret"), rawFile(`{}`, 0), 0o644)
			relink(t, single(s), filepath.Join("..", "..", "secret"))
			return s, single(s)
		}, "not in a Hugging Face cache blobs directory"},
		{"refs file", func(t *testing.T, s, r string) (string, string) {
			os.WriteFile(filepath.Join(r, "refs", "main"), rawFile(`{}`, 0), 0o644)
			relink(t, single(s), filepath.Join("..", "..", "refs", "main"))
			return s, single(s)
		}, "outside the model directory"},
		{"through blobs to outside", func(t *testing.T, s, r string) (string, string) {
			// A blob that is itself a symlink leaving the cache.
			os.Remove(filepath.Join(r, "blobs", "aaaa1111"))
			relink(t, filepath.Join(r, "blobs", "aaaa1111"), secret)
			return s, single(s)
		}, "outside the model directory"},
		{"blobs is a symlink", func(t *testing.T, s, r string) (string, string) {
			blobs := filepath.Join(r, "blobs")
			os.Rename(blobs, filepath.Join(outside, "blobs"))
			relink(t, blobs, filepath.Join(outside, "blobs"))
			return s, single(s)
		}, "outside the model directory"},
		{"not under snapshots", func(t *testing.T, s, r string) (string, string) {
			other := filepath.Join(r, "checkouts", "0123abcd")
			os.MkdirAll(filepath.Dir(other), 0o755)
			os.Rename(s, other)
			return other, single(other)
		}, "outside the model directory"},
		{"no blobs", func(t *testing.T, s, r string) (string, string) {
			os.Rename(filepath.Join(r, "blobs"), filepath.Join(r, "objects"))
			relink(t, single(s), filepath.Join("..", "..", "objects", "aaaa1111"))
			return s, single(s)
		}, "outside the model directory"},
		{"dangling", func(t *testing.T, s, r string) (string, string) {
			relink(t, single(s), filepath.Join("..", "..", "blobs", "missing"))
			return s, single(s)
		}, "dangling symlink: its target ../../blobs/missing does not exist"},
		{"loop", func(t *testing.T, s, r string) (string, string) {
			relink(t, single(s), singleFileName)
			return s, single(s)
		}, "resolving symlinks"},
		{"to a directory", func(t *testing.T, s, r string) (string, string) {
			os.Mkdir(filepath.Join(r, "blobs", "dir"), 0o755)
			relink(t, single(s), filepath.Join("..", "..", "blobs", "dir"))
			return s, single(s)
		}, "which is not a regular file (a directory)"},
		{"to a device", func(t *testing.T, s, r string) (string, string) {
			if fi, err := os.Stat("/dev/zero"); err != nil || fi.Mode().IsRegular() {
				t.Skip("no /dev/zero")
			}
			relink(t, single(s), "/dev/zero")
			return s, single(s)
		}, "symlink resolves to /dev/zero, which is not a regular file (a character device)"},
		{"to a fifo in blobs", func(t *testing.T, s, r string) (string, string) {
			if err := mkfifo(filepath.Join(r, "blobs", "fifo")); err != nil {
				t.Skip(err)
			}
			relink(t, single(s), filepath.Join("..", "..", "blobs", "fifo"))
			return s, single(s)
		}, "which is not a regular file (a named pipe)"},
		{"fifo itself", func(t *testing.T, s, r string) (string, string) {
			os.Remove(single(s))
			if err := mkfifo(single(s)); err != nil {
				t.Skip(err)
			}
			return s, single(s)
		}, "not a regular file (a named pipe)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			snapshot, repo := hfRepo(t, false)
			open, prefix := c.setup(t, snapshot, repo)
			wantOpenError(t, open, prefix, c.want)
		})
	}
}

// TestHFCacheShardedRejections: the same rules hold for shards named by an
// index and for the index itself.
func TestHFCacheShardedRejections(t *testing.T) {
	outside := t.TempDir()
	if err := Write(filepath.Join(outside, "evil"), []Tensor{{Name: "c", DType: U8, Shape: []int{1}, Data: []byte{1}}}, nil); err != nil {
		t.Fatal(err)
	}
	writeIndex(t, outside, map[string]string{"a": "s1.safetensors"})
	for _, name := range []string{"s2.safetensors", indexFileName} {
		t.Run(name, func(t *testing.T) {
			snapshot, _ := hfRepo(t, true)
			p := filepath.Join(snapshot, name)
			os.Remove(p)
			target := filepath.Join(outside, "evil")
			if name == indexFileName {
				target = filepath.Join(outside, indexFileName)
			}
			if err := os.Symlink(target, p); err != nil {
				t.Skip(err)
			}
			wantOpenError(t, snapshot, p, "outside the model directory")
		})
	}
	// Index entries still have to be plain names, even in a snapshot.
	for _, bad := range []string{"../../blobs/cccc3333", "/etc/passwd", ".."} {
		snapshot, repo := hfRepo(t, true)
		idx := filepath.Join(repo, "blobs", "dddd4444")
		os.Remove(idx)
		writeIndex(t, filepath.Join(repo, "blobs"), map[string]string{"a": "s1.safetensors", "c": bad})
		os.Rename(filepath.Join(repo, "blobs", indexFileName), idx)
		wantOpenError(t, snapshot, filepath.Join(snapshot, indexFileName), "is not a plain file name")
	}
}

// TestSingleFileFIFO: opening a FIFO given directly fails at once instead of
// blocking until something writes to it.
func TestSingleFileFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.safetensors")
	if err := mkfifo(p); err != nil {
		t.Skip(err)
	}
	_, err := Open(p)
	if err == nil || !strings.Contains(err.Error(), "not a regular file (a named pipe)") {
		t.Fatalf("Open(fifo) = %v", err)
	}
}
