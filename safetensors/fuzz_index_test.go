package safetensors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// FuzzIndex feeds arbitrary bytes as model.safetensors.index.json of a
// directory holding two valid shards (s1: a, b; s2: c) and, outside it, a
// third one. Open must never panic nor read a file outside the directory;
// every error names a file; whatever it accepts reads back.
func FuzzIndex(f *testing.F) {
	for _, s := range []string{
		`{"metadata": {"total_size": 3}, "weight_map": {"a": "s1.safetensors", "b": "s1.safetensors", "c": "s2.safetensors"}}`,
		`{"weight_map": {"a": "s1.safetensors"}}`,
		`{"weight_map": {}}`,
		`{"weight_map": {"a": "../out/x.safetensors"}}`,
		`{"weight_map": {"a": "/etc/passwd"}}`,
		`{"weight_map": {"a": "..\\x"}}`,
		`{"weight_map": {"c": "s1.safetensors"}}`,
		`{"weight_map": {"a": "s3.safetensors"}}`,
		`{"weight_map": {"a": "link.safetensors"}}`,
		`{"weight_map": {"a": "."}}`,
		`{"weight_map": null}`, `{"weight_map": {"a": 1}}`, `[]`, `null`, `{`, "",
	} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile(filepath.Join(fixture.Arch("llama31"), indexFileName)); err == nil {
		f.Add(b)
	}
	root := f.TempDir()
	dir := filepath.Join(root, "model")
	out := filepath.Join(root, "out")
	for _, d := range []string{dir, out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			f.Fatal(err)
		}
	}
	u8 := func(name string, v byte) Tensor {
		return Tensor{Name: name, DType: U8, Shape: []int{1}, Data: []byte{v}}
	}
	for path, ts := range map[string][]Tensor{
		filepath.Join(dir, "s1.safetensors"): {u8("a", 1), u8("b", 2)},
		filepath.Join(dir, "s2.safetensors"): {u8("c", 3)},
		filepath.Join(out, "x.safetensors"):  {u8("a", 9)},
	} {
		if err := Write(path, ts, nil); err != nil {
			f.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(out, "x.safetensors"), filepath.Join(dir, "link.safetensors")); err != nil {
		f.Log(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Inputs run one at a time in each worker, which has its own dir.
		if err := os.WriteFile(filepath.Join(dir, indexFileName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		work := dir
		c, err := Open(work)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, work+string(filepath.Separator)) || strings.Contains(msg, "\n") {
				t.Fatalf("error does not start with a file of the model or is not one line: %q", msg)
			}
			return
		}
		defer c.Close()
		for _, file := range c.Files() {
			if filepath.Dir(file) != work {
				t.Fatalf("opened %s, outside %s", file, work)
			}
		}
		for _, name := range c.Names() {
			tt, err := c.Tensor(name)
			if err != nil {
				t.Fatalf("accepted index but cannot read %q: %v", name, err)
			}
			if tt.Data[0] == 9 {
				t.Fatalf("tensor %q was read from outside the model directory", name)
			}
		}
	})
}
