package torchbin

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/qfilters/qfilters/safetensors"
)

// File names looked for in a model directory, as transformers writes them.
const (
	SingleFile = "pytorch_model.bin"
	IndexFile  = "pytorch_model.bin.index.json"
)

// Checkpoint is an opened pytorch_model.bin, or the shards of a
// pytorch_model.bin.index.json. Only the pickles are held in memory;
// tensors are read on demand. It is safe for concurrent use until Close.
type Checkpoint struct {
	files []*file             // sorted by path
	where map[string]location // tensor name -> its file and view
	names []string            // sorted
}

type location struct {
	f *file
	t *tensorRef
}

// file is one opened torch.save archive.
type file struct {
	path    string
	r       readerAtCloser
	tensors map[string]*tensorRef
}

type readerAtCloser interface {
	io.ReaderAt
	io.Closer
}

// layout is where transformers keeps pytorch_model.bin files: the rules of
// safetensors checkpoints apply to them (plain names inside the directory or
// its hub cache blobs, regular files, a bounded index).
var layout = safetensors.Layout[*file]{
	Single: SingleFile, Index: IndexFile,
	Parse: func(path string, r *os.File, size int64) (*file, error) { return newFile(path, r, size) },
}

// Found reports whether dir holds pytorch_model.bin or its index.
func Found(dir string) bool { return layout.Found(dir) }

// Open opens a model directory holding pytorch_model.bin (or the index of
// its shards), or one torch.save file, and parses every pickle it uses.
func Open(path string) (*Checkpoint, error) {
	files, byTensor, err := layout.Open(path)
	if err != nil {
		return nil, err
	}
	return newCheckpoint(files, byTensor), nil
}

// newCheckpoint exposes every tensor of files, or with weightMap exactly
// the tensors it maps, each from its file.
func newCheckpoint(files []*file, weightMap map[string]*file) *Checkpoint {
	slices.SortFunc(files, func(a, b *file) int { return cmp.Compare(a.path, b.path) })
	c := &Checkpoint{files: files, where: map[string]location{}}
	for _, f := range files {
		if weightMap == nil {
			for name, t := range f.tensors {
				c.where[name] = location{f, t}
			}
		}
	}
	for name, f := range weightMap {
		c.where[name] = location{f, f.tensors[name]}
	}
	c.names = slices.Sorted(maps.Keys(c.where))
	return c
}

// newFile parses the archive in r (size bytes): its pickle, byte order and
// the records of the storages its tensors view. Errors start with path.
func newFile(path string, r readerAtCloser, size int64) (*file, error) {
	tensors, err := parse(r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &file{path: path, r: r, tensors: tensors}, nil
}

func parse(r io.ReaderAt, size int64) (map[string]*tensorRef, error) {
	a, err := openArchive(r, size)
	if err != nil {
		return nil, err
	}
	if !a.has("data.pkl") {
		if a.has("constants.pkl") {
			return nil, fmt.Errorf("TorchScript archive (torch.jit.save), not a torch.save state dict")
		}
		return nil, fmt.Errorf("zip archive has no %sdata.pkl: not written by torch.save", a.prefix)
	}
	if a.has("byteorder") {
		order, err := a.read("byteorder", maxSmallSize)
		if err != nil {
			return nil, err
		}
		if string(order) != "little" {
			return nil, fmt.Errorf("record %sbyteorder says %q: only little-endian files are supported", a.prefix, order)
		}
	}
	pkl, err := a.read("data.pkl", maxPickleSize)
	if err != nil {
		return nil, err
	}
	e := newTorchEnv()
	v, err := unpickle(pkl, e)
	if err != nil {
		return nil, err
	}
	tensors, err := stateDict(v)
	if err != nil {
		return nil, err
	}
	for _, t := range tensors {
		t.st.views++
	}
	for _, key := range slices.Sorted(maps.Keys(e.storages)) {
		s := e.storages[key]
		rec, err := a.locate("data/" + key)
		if err != nil {
			return nil, fmt.Errorf("storage %q: %w", key, err)
		}
		if rec.n != s.nbytes() {
			return nil, fmt.Errorf("storage %q: record %sdata/%s holds %d bytes, but %d %s elements need %d",
				key, a.prefix, key, rec.n, s.numel, s.dtype, s.nbytes())
		}
		s.rec = rec
	}
	return tensors, nil
}

// Names returns all tensor names, sorted.
func (c *Checkpoint) Names() []string { return slices.Clone(c.names) }

// Info returns a tensor's dtype and shape from the pickle, without I/O.
func (c *Checkpoint) Info(name string) (dtype safetensors.DType, shape []int, ok bool) {
	l, ok := c.where[name]
	if !ok {
		return "", nil, false
	}
	return l.t.st.dtype, slices.Clone(l.t.shape), true
}

// Tensor reads one tensor as contiguous little-endian bytes in its stored
// dtype. Tensors viewing one storage (tied weights) share its bytes, read
// once while any of them is alive: treat Data as read-only.
func (c *Checkpoint) Tensor(name string) (safetensors.Tensor, error) {
	l, ok := c.where[name]
	if !ok {
		return safetensors.Tensor{}, fmt.Errorf("%s: no tensor %q in checkpoint", c.location(), name)
	}
	data, err := l.f.read(l.t)
	if err != nil {
		return safetensors.Tensor{}, fmt.Errorf("%s: tensor %q: %w", l.f.path, name, err)
	}
	return safetensors.Tensor{Name: name, DType: l.t.st.dtype, Shape: slices.Clone(l.t.shape), Data: data}, nil
}

// Has reports whether the file holds tensor name.
func (f *file) Has(name string) bool {
	_, ok := f.tensors[name]
	return ok
}

// Close closes the file.
func (f *file) Close() error { return f.r.Close() }

// read returns the bytes of view t, gathered in row-major order.
func (f *file) read(t *tensorRef) ([]byte, error) {
	lo, hi := t.span()
	src, err := t.st.elements(f.r, lo, hi)
	if err != nil {
		return nil, err
	}
	if t.contiguous() {
		return src, nil
	}
	return t.gather(src, t.st.dtype.Size()), nil
}

// location names the checkpoint in errors not tied to one file.
func (c *Checkpoint) location() string {
	switch len(c.files) {
	case 0:
		return "empty checkpoint"
	case 1:
		return c.files[0].path
	}
	return filepath.Dir(c.files[0].path)
}

// Files returns the paths of the files tensors are read from, sorted.
func (c *Checkpoint) Files() []string {
	out := make([]string, len(c.files))
	for i, f := range c.files {
		out[i] = f.path
	}
	return out
}

// Close closes every file. Tensor fails after Close.
func (c *Checkpoint) Close() error {
	var errs []error
	for _, f := range c.files {
		if err := f.r.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.path, err))
		}
	}
	return errors.Join(errs...)
}
