package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// maxIndexSize bounds the index file we are willing to read whole.
const maxIndexSize = 100_000_000

// openIndexed opens the shards named by the index file of a sharded
// checkpoint in dir and checks that every mapped tensor is in its shard.
func openIndexed(dir, index string) (c *Checkpoint, err error) {
	weightMap, err := readIndex(dir, index)
	if err != nil {
		return nil, err
	}
	opened := map[string]*shard{}
	defer func() {
		if err != nil {
			for _, s := range opened {
				s.r.Close()
			}
		}
	}()
	byTensor := make(map[string]*shard, len(weightMap))
	for _, name := range slices.Sorted(maps.Keys(weightMap)) {
		file := weightMap[name]
		s, ok := opened[file]
		if !ok {
			path := filepath.Join(dir, file)
			if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s: tensor %q: shard %s missing", index, name, path)
			}
			open, err := resolveShard(dir, path)
			if err != nil {
				return nil, err
			}
			if s, err = openShard(path, open); err != nil {
				return nil, err
			}
			opened[file] = s
		}
		if _, ok := s.entries[name]; !ok {
			return nil, fmt.Errorf("%s: tensor %q listed in %s but absent from the shard header", s.path, name, index)
		}
		byTensor[name] = s
	}
	shards := make([]*shard, 0, len(opened))
	for _, s := range opened {
		shards = append(shards, s)
	}
	return newCheckpoint(shards, byTensor), nil
}

// readIndex parses an index file and returns its weight_map after checking
// that every shard name is a plain file name inside dir.
// The index file itself obeys the same rules as shards (see resolveShard),
// and is read through a size limit even if it grows after the check.
func readIndex(dir, index string) (map[string]string, error) {
	open, err := resolveShard(dir, index)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(open)
	if err != nil {
		return nil, errAt(index, err)
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, maxIndexSize+1))
	if err != nil {
		return nil, errAt(index, err)
	}
	if len(buf) > maxIndexSize {
		return nil, fmt.Errorf("%s: index is over the %d-byte limit", index, maxIndexSize)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(buf, &doc); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, fmt.Errorf("%s: index is not a JSON object", index)
		}
		return nil, fmt.Errorf("%s: index is not valid JSON: %w", index, err)
	}
	raw, ok := doc["weight_map"]
	if !ok {
		return nil, fmt.Errorf("%s: index has no weight_map", index)
	}
	var weightMap map[string]string
	if err := json.Unmarshal(raw, &weightMap); err != nil || weightMap == nil {
		return nil, fmt.Errorf("%s: weight_map is not a map of tensor name to file name", index)
	}
	for name, file := range weightMap {
		if !plainFileName(file) {
			return nil, fmt.Errorf("%s: tensor %q: shard file name %q is not a plain file name inside %s", index, name, file, dir)
		}
	}
	return weightMap, nil
}

// plainFileName reports whether name is a single path element that stays
// in its directory: not empty, ".", "..", absolute, or containing a separator.
func plainFileName(name string) bool {
	return name != "" && name != "." && name != ".." &&
		!strings.ContainsAny(name, `/\`) && !filepath.IsAbs(name) && filepath.VolumeName(name) == ""
}
