package safetensors

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
)

// checkLayout verifies that the entries tile the data section of dataSize
// bytes exactly, as the reference implementation requires: no tensor beyond
// the end (a truncated file), no overlaps, no holes, no trailing bytes.
func checkLayout(entries map[string]entry, dataSize int64) error {
	sorted := slices.Collect(maps.Values(entries))
	slices.SortFunc(sorted, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), cmp.Compare(a.name, b.name))
	})
	var pos int64
	prev := ""
	for _, e := range sorted {
		switch {
		case e.end > dataSize:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] beyond data section of %d bytes (truncated file?)",
				e.name, e.begin, e.end, dataSize)
		case e.begin < pos:
			return fmt.Errorf("tensors %q and %q overlap at byte %d of the data section", prev, e.name, e.begin)
		case e.begin > pos:
			return fmt.Errorf("hole in data section: bytes [%d, %d) before tensor %q belong to no tensor", pos, e.begin, e.name)
		}
		pos, prev = e.end, e.name
	}
	if pos != dataSize {
		return fmt.Errorf("data section is %d bytes but tensors cover only %d", dataSize, pos)
	}
	return nil
}
