package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// maxIndexSize bounds the index file we are willing to read whole.
const maxIndexSize = 100_000_000

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
// in its directory: not empty, ".", "..", absolute, or containing a separator
// or a control character (a newline in a shard name would split the one-line
// error that names it; no tool writes one).
func plainFileName(name string) bool {
	return name != "" && name != "." && name != ".." &&
		!strings.ContainsAny(name, `/\`) && !filepath.IsAbs(name) && filepath.VolumeName(name) == "" &&
		!strings.ContainsFunc(name, unicode.IsControl)
}
