package model

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

// TestParseConfigLayersBounded: a 200-byte config.json must not make
// ParseConfig allocate in proportion to the layer count it claims. BUG
// (model/config.go): check() accepts every size up to 1<<24, and
// parseLayers then allocates a RopeConfig, a window and a layer type per
// layer: num_hidden_layers 16777216 costs about 2.5 GB before a single
// weight is looked at. The largest real models have under 200 layers; a
// bound such as 1<<12 on num_hidden_layers (and checking it before
// allocating) fixes it. 1<<20 layers (about 150 MB) shows it here.
func TestParseConfigLayersBounded(t *testing.T) {
	doc := `{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 1048576, "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100}`
	var err error
	n := allocatedBy(func() { _, err = ParseConfig([]byte(doc)) })
	if err == nil && n > 16<<20 {
		t.Errorf("ParseConfig accepted %d bytes claiming 1048576 layers and allocated %d MiB", len(doc), n>>20)
	}
}

// TestParseConfigDeeplyNested: nesting is an error, not a stack overflow.
func TestParseConfigDeeplyNested(t *testing.T) {
	doc := `{"model_type": "llama", "rope_scaling": ` + strings.Repeat(`{"a": [`, 1<<19) + strings.Repeat(`]}`, 1<<19) + `}`
	if _, err := ParseConfig([]byte(doc)); err == nil || !strings.Contains(err.Error(), "invalid JSON") {
		t.Fatalf("got %v", err)
	}
}

// TestLoadConfigSizeBounded: LoadConfig reads config.json whole with
// os.ReadFile. BUG (model/config.go): a config.json of a gigabyte, or a
// symlink to /dev/zero, is read until memory runs out. Real config.json
// files are a few kB; LoadConfig should refuse anything over, say, 16 MiB
// (os.Open, Stat for a regular file, io.ReadAll(io.LimitReader(f, 16<<20+1))
// and an error naming the file when the limit is passed). A sparse 200 MB
// file shows it.
func TestLoadConfigSizeBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 200 MB when the bug is present")
	}
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"model_type": "llama", "x": "`)
	if err := f.Truncate(200 << 20); err != nil {
		t.Skip(err)
	}
	f.Close()
	var lerr error
	n := allocatedBy(func() { _, lerr = LoadConfig(dir) })
	if lerr == nil {
		t.Fatal("accepted")
	}
	if n > 64<<20 {
		t.Errorf("LoadConfig read a 200 MB config.json whole (%d MiB allocated) before failing: %s", n>>20, fmt.Sprint(lerr)[:min(len(fmt.Sprint(lerr)), 120)])
	}
}
