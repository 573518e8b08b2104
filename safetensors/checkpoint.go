package safetensors

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// File names looked for when Open is given a directory.
const (
	singleFileName = "model.safetensors"
	indexFileName  = "model.safetensors.index.json"
)

// Checkpoint is an opened model: a directory holding model.safetensors, or
// shards plus model.safetensors.index.json, or one .safetensors file.
// Only headers are held in memory; tensors are read on demand. It is safe
// for concurrent use until Close.
type Checkpoint struct {
	shards   []*shard         // sorted by path
	where    map[string]where // tensor name -> its shard and entry
	names    []string         // sorted
	metadata map[string]string
}

// where locates one tensor of a checkpoint.
type where struct {
	s *shard
	e entry
}

// layout is where safetensors checkpoints keep their files.
var layout = Layout[*shard]{
	Single: singleFileName, Index: indexFileName,
	Parse: func(path string, r *os.File, size int64) (*shard, error) { return newShard(path, r, size) },
}

// Found reports whether dir holds model.safetensors or its index, so that
// readers of other formats in the same directory defer to safetensors.
func Found(dir string) bool { return layout.Found(dir) }

// Open opens a checkpoint directory or a single .safetensors file and
// validates every header it uses. Nothing but headers is read.
func Open(path string) (*Checkpoint, error) {
	shards, byTensor, err := layout.Open(path)
	if err != nil {
		return nil, err
	}
	return newCheckpoint(shards, byTensor), nil
}

// newCheckpoint builds a Checkpoint over shards. If weightMap is nil every
// tensor of every shard is exposed; otherwise exactly the tensors it maps,
// each from its mapped shard (the caller has checked they exist).
func newCheckpoint(shards []*shard, weightMap map[string]*shard) *Checkpoint {
	slices.SortFunc(shards, func(a, b *shard) int { return cmp.Compare(a.path, b.path) })
	c := &Checkpoint{shards: shards, where: map[string]where{}, metadata: map[string]string{}}
	for _, s := range shards {
		for k, v := range s.metadata {
			if _, ok := c.metadata[k]; !ok {
				c.metadata[k] = v
			}
		}
		if weightMap == nil {
			for name, e := range s.entries {
				c.where[name] = where{s, e}
			}
		}
	}
	for name, s := range weightMap {
		c.where[name] = where{s, s.entries[name]}
	}
	c.names = slices.Sorted(maps.Keys(c.where))
	return c
}

// Names returns all tensor names, sorted.
func (c *Checkpoint) Names() []string { return slices.Clone(c.names) }

// Has reports whether the checkpoint has a tensor called name.
func (c *Checkpoint) Has(name string) bool {
	_, ok := c.where[name]
	return ok
}

// Info returns a tensor's dtype and shape from the header, without I/O.
func (c *Checkpoint) Info(name string) (dtype DType, shape []int, ok bool) {
	w, ok := c.where[name]
	if !ok {
		return "", nil, false
	}
	return w.e.dtype, slices.Clone(w.e.shape), true
}

// Tensor reads one tensor's bytes now, with ReadAt into a fresh buffer that
// the caller owns.
func (c *Checkpoint) Tensor(name string) (Tensor, error) {
	w, ok := c.where[name]
	if !ok {
		return Tensor{}, fmt.Errorf("%s: no tensor %q in checkpoint", c.location(), name)
	}
	return w.s.read(w.e)
}

// location names the checkpoint in errors not tied to one shard.
func (c *Checkpoint) location() string {
	if len(c.shards) == 1 {
		return c.shards[0].path
	}
	if len(c.shards) == 0 {
		return "empty checkpoint"
	}
	return filepath.Dir(c.shards[0].path)
}

// Metadata returns the "__metadata__" map of the file, or of all shards
// merged (the first shard in path order wins on conflicting keys). The map
// is a copy.
func (c *Checkpoint) Metadata() map[string]string { return maps.Clone(c.metadata) }

// Files returns the paths of the files tensors are read from, sorted.
func (c *Checkpoint) Files() []string {
	out := make([]string, len(c.shards))
	for i, s := range c.shards {
		out[i] = s.path
	}
	return out
}

// Close closes every file. Tensor fails after Close.
func (c *Checkpoint) Close() error {
	var errs []error
	for _, s := range c.shards {
		if err := s.r.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.path, err))
		}
	}
	return errors.Join(errs...)
}
