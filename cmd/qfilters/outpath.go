package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// checkOutput refuses, before any work, an output path the final write
// would refuse after hours of it: an existing one without force, one under a
// file, and (for directory outputs) an existing file even with force.
func checkOutput(out string, force, isDir bool) error {
	st, err := os.Lstat(out)
	switch {
	case err == nil && !force:
		return fmt.Errorf("output %s already exists (use --force to replace it)", out)
	case err == nil && isDir && !st.IsDir():
		return fmt.Errorf("%s exists and is not a directory; refusing to replace it", out)
	case err == nil || errors.Is(err, fs.ErrNotExist):
		return nil
	}
	// Name the file standing where a directory should be.
	for dir := filepath.Dir(out); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if st, serr := os.Stat(dir); serr == nil {
			if !st.IsDir() {
				return fmt.Errorf("output %s: %s is not a directory", out, dir)
			}
			break
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("output %s: %v", out, err)
}
