package torchbin

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/qfilters/qfilters/internal/torchsave"
)

// memFile is an in-memory torch.save file that counts the bytes read.
type memFile struct {
	*bytes.Reader
	read atomic.Int64
}

func (m *memFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := m.Reader.ReadAt(p, off)
	m.read.Add(int64(n))
	return n, err
}

func (m *memFile) Close() error { return nil }

func openBytes(t *testing.T, b []byte) (*Checkpoint, *memFile) {
	t.Helper()
	m := &memFile{Reader: bytes.NewReader(b)}
	f, err := newFile("test.bin", m, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return newCheckpoint([]*file{f}, nil), m
}

// wantBytes is what a view should read, worked out without the reader's
// code: contiguous views are a slice of their storage; the one transpose
// of the golden state dict lists its storage elements by hand.
func wantBytes(tt torchsave.Tensor) []byte {
	es := tt.Storage.DType.Size()
	if tt.Stride != nil { // [3, 2] with stride [1, 3]: element [i][j] is storage[i + 3j]
		var out []byte
		for _, e := range []int{0, 3, 1, 4, 2, 5} {
			out = append(out, tt.Storage.Data[e*es:(e+1)*es]...)
		}
		return out
	}
	n := 1
	for _, d := range tt.Shape {
		n *= d
	}
	return tt.Storage.Data[tt.Offset*es : (tt.Offset+n)*es]
}

// checkAll reads every tensor of c and compares it with want.
func checkAll(t *testing.T, c *Checkpoint, want []torchsave.Tensor) {
	t.Helper()
	var names []string
	for _, w := range want {
		names = append(names, w.Name)
		dt, shape, ok := c.Info(w.Name)
		if !ok || dt != w.Storage.DType || !slices.Equal(shape, w.Shape) {
			t.Errorf("Info(%s) = %s %v %v, want %s %v", w.Name, dt, shape, ok, w.Storage.DType, w.Shape)
		}
		got, err := c.Tensor(w.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != w.Name || got.DType != w.Storage.DType || !slices.Equal(got.Shape, w.Shape) || !bytes.Equal(got.Data, wantBytes(w)) {
			t.Errorf("Tensor(%s) = %s %v % x, want % x", w.Name, got.DType, got.Shape, got.Data, wantBytes(w))
		}
	}
	slices.Sort(names)
	if !slices.Equal(c.Names(), names) {
		t.Errorf("Names() = %v, want %v", c.Names(), names)
	}
}

// TestReadLayouts reads the golden state dict as each PyTorch version lays
// out the zip: names, dtypes, shapes and bytes of every view.
func TestReadLayouts(t *testing.T) {
	for name, opt := range map[string]torchsave.Options{
		"torch 2 to a path":     {Archive: "pytorch_model"},
		"torch 2 to a stream":   {},
		"plain dict":            {Plain: true},
		"torch 1.6-1.12":        {Legacy: true, Archive: "pytorch_model"},
		"compute_crc32 = False": {NoCRC: true},
	} {
		t.Run(name, func(t *testing.T) {
			want := goldenStateDict()
			b, err := torchsave.Encode(want, opt)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := openBytes(t, b)
			checkAll(t, c, want)
		})
	}
}

// TestTiedReadOnce: two names over one storage read its bytes once while
// the first tensor is alive, and give the same values.
func TestTiedReadOnce(t *testing.T) {
	b, err := torchsave.Encode(goldenStateDict(), torchsave.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, m := openBytes(t, b)
	before := m.read.Load()
	embed, err := c.Tensor("model.embed_tokens.weight")
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.Tensor("lm_head.weight")
	if err != nil {
		t.Fatal(err)
	}
	if n := m.read.Load() - before; n != 24 {
		t.Errorf("read %d bytes for two tied F16 [4 3] tensors, want 24 (one storage read)", n)
	}
	if !bytes.Equal(embed.Data, head.Data) {
		t.Error("tied tensors differ")
	}
	runtime.KeepAlive(embed.Data)
	// Views at two offsets of one storage share it too.
	before = m.read.Load()
	up, _ := c.Tensor("model.layers.0.mlp.up_proj.weight")
	down, _ := c.Tensor("model.layers.0.mlp.down_proj.weight")
	if n := m.read.Load() - before; n != 20 {
		t.Errorf("read %d bytes for two views of a BF16 storage of 10, want 20", n)
	}
	runtime.KeepAlive(up.Data)
	runtime.KeepAlive(down.Data)
}

// TestConcurrentReads reads every tensor from several goroutines at once.
func TestConcurrentReads(t *testing.T) {
	want := goldenStateDict()
	b, err := torchsave.Encode(want, torchsave.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := openBytes(t, b)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, w := range want {
				got, err := c.Tensor(w.Name)
				if err != nil || !bytes.Equal(got.Data, wantBytes(w)) {
					t.Errorf("%s: %v", w.Name, err)
				}
			}
		})
	}
	wg.Wait()
}

// TestGatherRanks checks non-contiguous views of rank 1 to 3 against
// element indices worked out by hand.
func TestGatherRanks(t *testing.T) {
	st := newStorage("F32", 24, 0)
	cases := []struct {
		name    string
		offset  int
		shape   []int
		stride  []int
		indices []int
	}{
		{"every other", 1, []int{4}, []int{2}, []int{1, 3, 5, 7}},
		{"column slice", 2, []int{3, 2}, []int{6, 1}, []int{2, 3, 8, 9, 14, 15}},
		{"permuted 3-D", 0, []int{2, 2, 3}, []int{1, 12, 4}, []int{0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21}},
		{"broadcast within storage", 0, []int{3, 2}, []int{0, 1}, []int{0, 1, 0, 1, 0, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tt := torchsave.Tensor{Name: "w", Storage: st, Offset: tc.offset, Shape: tc.shape, Stride: tc.stride}
			b, err := torchsave.Encode([]torchsave.Tensor{tt}, torchsave.Options{})
			if err != nil {
				t.Fatal(err)
			}
			c, _ := openBytes(t, b)
			got, err := c.Tensor("w")
			if err != nil {
				t.Fatal(err)
			}
			var want []byte
			for _, e := range tc.indices {
				want = append(want, st.Data[4*e:4*e+4]...)
			}
			if !bytes.Equal(got.Data, want) {
				t.Errorf("got % x\nwant % x", got.Data, want)
			}
		})
	}
}

// TestOpenDirectory opens pytorch_model.bin in a directory, a single file,
// and the shards of an index, and reads them all.
func TestOpenDirectory(t *testing.T) {
	want := goldenStateDict()
	single := t.TempDir()
	if err := torchsave.Write(filepath.Join(single, SingleFile), want, torchsave.Options{}); err != nil {
		t.Fatal(err)
	}
	sharded := t.TempDir()
	if err := torchsave.WriteSharded(sharded, want, 3, torchsave.Options{}); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{
		"directory": single, "file": filepath.Join(single, SingleFile), "sharded": sharded,
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			checkAll(t, c, want)
			if name == "sharded" && len(c.Files()) != 3 {
				t.Errorf("Files() = %v", c.Files())
			}
		})
	}
	if !Found(single) || !Found(sharded) || Found(t.TempDir()) {
		t.Error("Found is wrong")
	}
}

// TestReadAfterClose fails cleanly.
func TestReadAfterClose(t *testing.T) {
	dir := t.TempDir()
	if err := torchsave.Write(filepath.Join(dir, SingleFile), goldenStateDict(), torchsave.Options{}); err != nil {
		t.Fatal(err)
	}
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := c.Tensor("model.norm.weight"); err == nil {
		t.Error("read after Close succeeded")
	}
}

// TestSnapshotSymlinks: in a Hugging Face cache snapshot, pytorch_model.bin
// may link into blobs/; a link leaving the model directory otherwise is
// refused before the file is opened.
func TestSnapshotSymlinks(t *testing.T) {
	repo := t.TempDir()
	blobs, snap := filepath.Join(repo, "blobs"), filepath.Join(repo, "snapshots", "abc")
	for _, d := range []string{blobs, snap} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := goldenStateDict()
	if err := torchsave.Write(filepath.Join(blobs, "sha"), want, torchsave.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "..", "blobs", "sha"), filepath.Join(snap, SingleFile)); err != nil {
		t.Skip(err)
	}
	c, err := Open(snap)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, c, want)
	c.Close()
	plain := t.TempDir()
	os.Symlink(filepath.Join(blobs, "sha"), filepath.Join(plain, SingleFile))
	if _, err := Open(plain); err == nil || !strings.Contains(err.Error(), "outside the model directory") {
		t.Errorf("symlink out of a plain directory: %v", err)
	}
}
