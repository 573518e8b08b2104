package safetensors

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Names of the Hugging Face hub cache layout:
// models--org--name/snapshots/<revision>/<file> -> ../../blobs/<sha>.
const (
	hfSnapshotsDir = "snapshots"
	hfBlobsDir     = "blobs"
)

// resolveShard decides whether path, a file named by the model directory dir
// (model.safetensors or a shard of the index), may be read, and returns the
// resolved path to open. It is a regular file, or a symlink whose target
// resolves to a regular file either inside dir or, when dir is a snapshot of
// the Hugging Face hub cache (its parent is named "snapshots" and the
// directory above holds a real "blobs" directory), inside that blobs
// directory. Anything else (a dangling symlink, a symlink leaving both, a
// directory, a device, a FIFO) is rejected with an error starting with path.
// This keeps an index or a planted symlink from making us read other files
// of the machine, and a FIFO or device from blocking or streaming forever.
func resolveShard(dir, path string) (string, error) {
	li, err := os.Lstat(path)
	if err != nil {
		return "", pathErr(err)
	}
	if li.Mode()&fs.ModeSymlink == 0 {
		if !li.Mode().IsRegular() {
			return "", fmt.Errorf("%s: not a regular file (%s)", path, fileKind(li.Mode()))
		}
		return path, nil
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			link, _ := os.Readlink(path)
			return "", fmt.Errorf("%s: dangling symlink: its target %s does not exist", path, link)
		}
		return "", fmt.Errorf("%s: resolving symlinks: %v", path, err)
	}
	ti, err := os.Stat(target)
	if err != nil {
		return "", fmt.Errorf("%s: symlink target: %v", path, err)
	}
	if !ti.Mode().IsRegular() {
		return "", fmt.Errorf("%s: symlink resolves to %s, which is not a regular file (%s)", path, target, fileKind(ti.Mode()))
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("%s: resolving model directory: %v", dir, err)
	}
	if within(realDir, target) {
		return target, nil
	}
	if blobs, ok := hfBlobs(realDir); ok && within(blobs, target) {
		return target, nil
	}
	return "", fmt.Errorf("%s: symlink resolves to %s, outside the model directory %s and not in a Hugging Face cache blobs directory", path, target, realDir)
}

// hfBlobs returns the blobs directory of the Hugging Face cache repository
// that realDir (fully resolved) is a snapshot of: realDir's parent must be
// named "snapshots", and the directory above it must hold "blobs", a real
// directory (a symlinked blobs could point anywhere).
func hfBlobs(realDir string) (string, bool) {
	snapshots := filepath.Dir(realDir)
	if filepath.Base(snapshots) != hfSnapshotsDir || snapshots == realDir {
		return "", false
	}
	blobs := filepath.Join(filepath.Dir(snapshots), hfBlobsDir)
	fi, err := os.Lstat(blobs)
	if err != nil || !fi.IsDir() {
		return "", false
	}
	return blobs, true
}

// within reports whether path lies strictly inside dir; both are resolved.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." &&
		!strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// fileKind names the type of a non-regular file for error messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	}
	return "mode " + m.String()
}
