package tokenizer

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// allocatedBy returns how many bytes fn allocates on the heap.
func allocatedBy(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// loadBytes writes b as tokenizer.json in a fresh directory and loads it.
func loadBytes(t *testing.T, b []byte) (*Tokenizer, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(p)
}

// TestLoadDeeplyNested: a tokenizer.json nested a million levels deep is an
// error, not a stack overflow (encoding/json stops at 10000 levels).
func TestLoadDeeplyNested(t *testing.T) {
	for _, b := range [][]byte{
		[]byte(strings.Repeat("[", 1<<20) + strings.Repeat("]", 1<<20)),
		[]byte(`{"model": ` + strings.Repeat(`{"a":`, 1<<20) + `1` + strings.Repeat(`}`, 1<<20) + `}`),
		[]byte(`{"model": {"type": "BPE", "vocab": {}}, "normalizer": ` + strings.Repeat(`{"type": "Sequence", "normalizers": [`, 5000) + `{"type": "NFC"}` + strings.Repeat(`]}`, 5000) + `}`),
	} {
		if _, err := loadBytes(t, b); err == nil || !strings.Contains(err.Error(), "tokenizer.json: ") {
			t.Errorf("Load(%.40s...) = %v", b, err)
		}
	}
}

// TestLoadHugeTokenIDsBounded: a 100-byte tokenizer.json must not make Load
// allocate in proportion to a token id it declares. BUG (tokenizer/): an
// added token's id is only checked for being non-negative, and parse grows
// idToToken one append at a time up to it: id 1<<40 loops and allocates
// until the machine runs out of memory. BPE vocabulary ids are allowed up to
// 1<<30, which makes newBPE allocate a 16 GiB []string. Here ids of 1<<22
// (64 MiB of strings) show it cheaply.
func TestLoadHugeTokenIDsBounded(t *testing.T) {
	const id = 1 << 22
	for name, doc := range map[string]string{
		"added token": fmt.Sprintf(`{"added_tokens": [{"id": %d, "content": "<x>"}], "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}`, id),
		"vocab":       fmt.Sprintf(`{"model": {"type": "BPE", "vocab": {"a": 0, "b": %d}, "merges": []}}`, id),
	} {
		var err error
		n := allocatedBy(func() { _, err = loadBytes(t, []byte(doc)) })
		if err == nil && n > 8<<20 {
			t.Errorf("%s id %d: Load accepted a %d-byte file and allocated %d MiB; it should reject ids far beyond the vocabulary", name, id, len(doc), n>>20)
		}
	}
}

// TestLoadFileSizeBounded: tokenizer.json is read whole (os.ReadFile), so a
// hostile one of gigabytes (or a symlink to /dev/zero) is read until memory
// runs out. BUG (tokenizer/): Load should refuse a file over a bound (the
// largest real tokenizer.json files are ~35 MB; 128 MiB is generous) and
// read through io.LimitReader, as safetensors does for its index. A sparse
// 200 MB file shows it without writing 200 MB to disk.
func TestLoadFileSizeBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 200 MB when the bug is present")
	}
	p := filepath.Join(t.TempDir(), "tokenizer.json")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"model": `)
	if err := f.Truncate(200 << 20); err != nil {
		t.Skip(err)
	}
	f.Close()
	var lerr error
	n := allocatedBy(func() { _, lerr = Load(p) })
	if lerr == nil {
		t.Fatal("Load accepted a 200 MB file of zeros")
	}
	if n > 150<<20 {
		t.Errorf("Load read a 200 MB tokenizer.json whole (%d MiB allocated) before failing with %q; it should refuse it by size", n>>20, lerr)
	}
}
