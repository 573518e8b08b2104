package safetensors

import (
	"fmt"
	"path/filepath"
	"strings"
)

// checkInside rejects path if, once symlinks are resolved, it lies outside
// dir. This keeps an index (or a planted symlink) from making us read files
// elsewhere on the machine.
func checkInside(dir, path string) error {
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("%s: resolving model directory: %w", dir, err)
	}
	realPath, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("%s: resolving symlinks: %w", path, err)
	}
	rel, err := filepath.Rel(realDir, realPath)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return fmt.Errorf("%s: resolves to %s, outside the model directory %s", path, realPath, realDir)
	}
	return nil
}
