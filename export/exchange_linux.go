//go:build linux

package export

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchangeDirs swaps two existing paths in one step (renameat2 with
// RENAME_EXCHANGE): every reader sees one or the other at each path, never
// neither. It reports false when the kernel or the file system cannot swap
// (Linux before 3.15, some network and FUSE file systems), for the caller to
// fall back.
func exchangeDirs(a, b string) (bool, error) {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EINVAL), errors.Is(err, unix.EOPNOTSUPP):
		return false, nil
	}
	return false, err
}
