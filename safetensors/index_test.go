package safetensors

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// shardedDir writes a two-shard checkpoint (a, b in s1; c in s2) with an
// index into a fresh directory and returns the directory.
func shardedDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	u8 := func(name string, v byte) Tensor {
		return Tensor{Name: name, DType: U8, Shape: []int{1}, Data: []byte{v}}
	}
	if err := Write(filepath.Join(dir, "s1.safetensors"), []Tensor{u8("a", 1), u8("b", 2)}, map[string]string{"format": "pt", "shard": "1"}); err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(dir, "s2.safetensors"), []Tensor{u8("c", 3)}, map[string]string{"format": "pt", "shard": "2", "extra": "x"}); err != nil {
		t.Fatal(err)
	}
	writeIndex(t, dir, map[string]string{"a": "s1.safetensors", "b": "s1.safetensors", "c": "s2.safetensors"})
	return dir
}

// writeIndex writes model.safetensors.index.json with the given weight map.
func writeIndex(t *testing.T, dir string, weightMap map[string]string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 3}, "weight_map": weightMap})
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, indexFileName, b)
}

// TestIndexOpen checks a valid sharded checkpoint end to end.
func TestIndexOpen(t *testing.T) {
	dir := shardedDir(t)
	c := openT(t, dir)
	if !slices.Equal(c.Names(), []string{"a", "b", "c"}) {
		t.Errorf("Names() = %v", c.Names())
	}
	want := []string{filepath.Join(dir, "s1.safetensors"), filepath.Join(dir, "s2.safetensors")}
	if !slices.Equal(c.Files(), want) {
		t.Errorf("Files() = %v, want %v", c.Files(), want)
	}
	m := c.Metadata()
	if m["format"] != "pt" || m["shard"] != "1" || m["extra"] != "x" || len(m) != 3 {
		t.Errorf("Metadata() = %v, want merged with the first shard winning", m)
	}
	for i, name := range []string{"a", "b", "c"} {
		tt, err := c.Tensor(name)
		if err != nil || tt.Data[0] != byte(i+1) {
			t.Errorf("Tensor(%s) = %v, %v", name, tt, err)
		}
	}
	if _, err := c.Tensor("d"); err == nil || !strings.Contains(err.Error(), `no tensor "d"`) {
		t.Errorf("missing tensor: %v", err)
	}
	// A tensor in a shard but not in the index is not exposed.
	writeIndex(t, dir, map[string]string{"a": "s1.safetensors"})
	c2 := openT(t, dir)
	if !slices.Equal(c2.Names(), []string{"a"}) || len(c2.Files()) != 1 {
		t.Errorf("partial index: names %v, files %v", c2.Names(), c2.Files())
	}
}

// TestIndexValidation covers each index defect.
func TestIndexValidation(t *testing.T) {
	outside := t.TempDir()
	if err := Write(filepath.Join(outside, "evil.safetensors"), []Tensor{{Name: "a", DType: U8, Shape: []int{1}, Data: []byte{1}}}, nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) (prefix string)
		want  string
	}{
		{"badjson", func(t *testing.T, dir string) string {
			return writeFile(t, dir, indexFileName, []byte(`{"weight_map":`))
		}, "index is not valid JSON: unexpected end"},
		{"notobject", func(t *testing.T, dir string) string {
			return writeFile(t, dir, indexFileName, []byte(`[]`))
		}, "index is not a JSON object"},
		{"noweightmap", func(t *testing.T, dir string) string {
			return writeFile(t, dir, indexFileName, []byte(`{"metadata":{}}`))
		}, "index has no weight_map"},
		{"weightmaptype", func(t *testing.T, dir string) string {
			return writeFile(t, dir, indexFileName, []byte(`{"weight_map":{"a":1}}`))
		}, "weight_map is not a map of tensor name to file name"},
		{"missingshard", func(t *testing.T, dir string) string {
			return writeIndex(t, dir, map[string]string{"a": "s1.safetensors", "z": "s9.safetensors"})
		}, `tensor "z": shard ` + "DIR/s9.safetensors missing"},
		{"slash", func(t *testing.T, dir string) string {
			return writeIndex(t, dir, map[string]string{"a": "sub/s1.safetensors"})
		}, `tensor "a": shard file name "sub/s1.safetensors" is not a plain file name`},
		{"dotdot", func(t *testing.T, dir string) string {
			return writeIndex(t, dir, map[string]string{"a": ".."})
		}, `shard file name ".." is not a plain file name`},
		{"dotdotpath", func(t *testing.T, dir string) string {
			return writeIndex(t, dir, map[string]string{"a": "../x/s1.safetensors"})
		}, `is not a plain file name`},
		{"absolute", func(t *testing.T, dir string) string {
			return writeIndex(t, dir, map[string]string{"a": filepath.Join(outside, "evil.safetensors")})
		}, `is not a plain file name`},
		{"backslash", func(t *testing.T, dir string) string {
			return writeIndex(t, dir, map[string]string{"a": `..\evil.safetensors`})
		}, `is not a plain file name`},
		{"empty", func(t *testing.T, dir string) string {
			return writeIndex(t, dir, map[string]string{"a": ""})
		}, `shard file name "" is not a plain file name`},
		{"absentfromheader", func(t *testing.T, dir string) string {
			writeIndex(t, dir, map[string]string{"a": "s1.safetensors", "c": "s1.safetensors"})
			return filepath.Join(dir, "s1.safetensors")
		}, `tensor "c" listed in ` + "DIR/" + indexFileName + " but absent from the shard"},
		{"symlinkoutside", func(t *testing.T, dir string) string {
			if err := os.Symlink(filepath.Join(outside, "evil.safetensors"), filepath.Join(dir, "evil.safetensors")); err != nil {
				t.Skip(err)
			}
			writeIndex(t, dir, map[string]string{"a": "evil.safetensors"})
			return filepath.Join(dir, "evil.safetensors")
		}, "outside the model directory"},
		{"symlinkdotdot", func(t *testing.T, dir string) string {
			rel, err := filepath.Rel(dir, filepath.Join(outside, "evil.safetensors"))
			if err != nil {
				t.Skip(err)
			}
			if err := os.Symlink(rel, filepath.Join(dir, "evil.safetensors")); err != nil {
				t.Skip(err)
			}
			writeIndex(t, dir, map[string]string{"a": "evil.safetensors"})
			return filepath.Join(dir, "evil.safetensors")
		}, "outside the model directory"},
		{"singlesymlinkoutside", func(t *testing.T, dir string) string {
			os.Remove(filepath.Join(dir, indexFileName))
			if err := os.Symlink(filepath.Join(outside, "evil.safetensors"), filepath.Join(dir, singleFileName)); err != nil {
				t.Skip(err)
			}
			return filepath.Join(dir, singleFileName)
		}, "outside the model directory"},
		{"dangling", func(t *testing.T, dir string) string {
			if err := os.Symlink(filepath.Join(outside, "gone"), filepath.Join(dir, "gone.safetensors")); err != nil {
				t.Skip(err)
			}
			writeIndex(t, dir, map[string]string{"a": "gone.safetensors"})
			return filepath.Join(dir, "gone.safetensors")
		}, "dangling symlink: its target " + "OUT/gone does not exist"},
		{"badshard", func(t *testing.T, dir string) string {
			writeFile(t, dir, "s2.safetensors", []byte{1, 2})
			return filepath.Join(dir, "s2.safetensors")
		}, "too short"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := shardedDir(t)
			prefix := c.setup(t, dir)
			want := strings.ReplaceAll(c.want, "DIR/", dir+string(filepath.Separator))
			want = strings.ReplaceAll(want, "OUT/", outside+string(filepath.Separator))
			wantOpenError(t, dir, prefix, want)
		})
	}
}

// TestSymlinkInside checks that a symlink staying inside the model
// directory is accepted, for index shards and for model.safetensors.
func TestSymlinkInside(t *testing.T) {
	dir := shardedDir(t)
	if err := os.Mkdir(filepath.Join(dir, "blobs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "s2.safetensors"), filepath.Join(dir, "blobs", "s2")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("blobs", "s2"), filepath.Join(dir, "s2.safetensors")); err != nil {
		t.Skip(err)
	}
	c := openT(t, dir)
	if tt, err := c.Tensor("c"); err != nil || tt.Data[0] != 3 {
		t.Errorf("Tensor(c) through an inside symlink: %v, %v", tt, err)
	}
	// The model directory itself may be reached through a symlink.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Skip(err)
	}
	if err := os.Symlink("s1.safetensors", filepath.Join(dir, singleFileName)); err != nil {
		t.Fatal(err)
	}
	c2 := openT(t, link)
	if !slices.Equal(c2.Names(), []string{"a", "b"}) {
		t.Errorf("single file through symlinks: names %v", c2.Names())
	}
}
