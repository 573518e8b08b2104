// Package atomicfile writes a file so that readers see the old one or the
// whole new one, never a part: the bytes go to a temporary file beside it,
// which is synced, made 0644 and renamed over the path.
package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes path with write. On failure nothing is left behind (the old
// file, if any, is untouched) and the error is bare, without the operation or
// the temporary file's name, which mean nothing to the user: the caller names
// path. After the rename the directory is synced (best effort) so the new
// file survives a crash.
func Write(path string, write func(io.Writer) error) error {
	err := writeRename(path, write)
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}

func writeRename(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(filepath.Dir(path)); derr == nil {
		d.Sync() // some file systems cannot sync a directory
		d.Close()
	}
	return nil
}
