package safetensors

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// Layout is how a checkpoint format lays out its files in a model directory:
// the whole checkpoint in Single, or shards that Index maps tensors to (a
// weight_map, as model.safetensors.index.json). Open applies this package's
// rules to every file, whatever the format: plain names inside the directory
// or its hub cache blobs, regular files only, a bounded index. Readers of
// other formats that live in the same directories (pytorch_model.bin) use it.
type Layout[F ModelFile] struct {
	Single, Index string
	// Parse reads one file, opened and checked to be a regular file of size
	// bytes; its errors start with path. On success F owns r.
	Parse func(path string, r *os.File, size int64) (F, error)
}

// ModelFile is one parsed file of a checkpoint.
type ModelFile interface {
	Has(tensor string) bool
	Close() error
}

// Found reports whether dir holds l.Single or l.Index.
func (l Layout[F]) Found(dir string) bool {
	for _, name := range []string{l.Single, l.Index} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// Open opens path: one file of the format, or a directory holding l.Single
// or else l.Index and the shards it names, each checked to hold the tensors
// mapped to it. byTensor is nil when every tensor of files is exposed, and
// otherwise maps each tensor of the index to its file.
func (l Layout[F]) Open(path string) (files []F, byTensor map[string]F, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, pathErr(err)
	}
	if !fi.IsDir() {
		f, err := l.open(path, path)
		if err != nil {
			return nil, nil, err
		}
		return []F{f}, nil, nil
	}
	single := filepath.Join(path, l.Single)
	if _, err := os.Lstat(single); err == nil {
		f, err := l.openIn(path, single)
		if err != nil {
			return nil, nil, err
		}
		return []F{f}, nil, nil
	}
	index := filepath.Join(path, l.Index)
	if _, err := os.Lstat(index); err == nil {
		return l.openIndexed(path, index)
	}
	return nil, nil, fmt.Errorf("%s: directory has neither %s nor %s", path, l.Single, l.Index)
}

// openIndexed opens the shards an index names and checks that every mapped
// tensor is in its shard.
func (l Layout[F]) openIndexed(dir, index string) (files []F, byTensor map[string]F, err error) {
	weightMap, err := readIndex(dir, index)
	if err != nil {
		return nil, nil, err
	}
	opened := map[string]F{}
	defer func() {
		if err != nil {
			for _, f := range opened {
				f.Close()
			}
		}
	}()
	byTensor = make(map[string]F, len(weightMap))
	for _, name := range slices.Sorted(maps.Keys(weightMap)) {
		file := weightMap[name]
		path := filepath.Join(dir, file)
		f, ok := opened[file]
		if !ok {
			if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
				return nil, nil, fmt.Errorf("%s: tensor %q: shard %s missing", index, name, path)
			}
			if f, err = l.openIn(dir, path); err != nil {
				return nil, nil, err
			}
			opened[file] = f
		}
		if !f.Has(name) {
			return nil, nil, fmt.Errorf("%s: tensor %q listed in %s but absent from the shard", path, name, index)
		}
		byTensor[name] = f
	}
	return slices.Collect(maps.Values(opened)), byTensor, nil
}

// openIn opens path, a file the model directory dir names, after checking
// that it may be read (see resolveShard).
func (l Layout[F]) openIn(dir, path string) (F, error) {
	open, err := resolveShard(dir, path)
	if err != nil {
		var zero F
		return zero, err
	}
	return l.open(path, open)
}

// open parses the file at open (path itself, or what resolveShard resolved
// it to); errors name path. The file stays open until F is closed. Anything
// but a regular file is refused before it is opened: opening a FIFO would
// block.
func (l Layout[F]) open(path, open string) (F, error) {
	var zero F
	if fi, err := os.Stat(open); err != nil {
		return zero, errAt(path, err)
	} else if !fi.Mode().IsRegular() {
		return zero, fmt.Errorf("%s: not a regular file (%s)", path, fileKind(fi.Mode()))
	}
	r, err := os.Open(open)
	if err != nil {
		return zero, errAt(path, err)
	}
	fi, err := r.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("not a regular file (%s)", fileKind(fi.Mode()))
	}
	if err != nil {
		r.Close()
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	f, err := l.Parse(path, r, fi.Size())
	if err != nil {
		r.Close()
		return zero, err
	}
	return f, nil
}
