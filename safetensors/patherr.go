package safetensors

import (
	"errors"
	"fmt"
	"io/fs"
)

// pathErr rewrites an *fs.PathError ("open /x: no such file") so the
// message starts with the path, like every other error of this package.
// The underlying error stays wrapped for errors.Is.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// errAt is pathErr naming path instead of the path in err (the two differ
// when path is a symlink that was resolved before opening).
func errAt(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", path, pe.Err)
	}
	return fmt.Errorf("%s: %w", path, err)
}
