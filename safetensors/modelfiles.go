package safetensors

import (
	"io/fs"
	"os"
	"path/filepath"
)

// The rules this package applies to the files of a model directory, for the
// readers of other checkpoint formats (pytorch_model.bin) that live in the
// same directories and hub cache snapshots.

// ResolveModelFile decides whether path, a file named by the model directory
// dir, may be read, and returns the path to open: a regular file, or a
// symlink resolving inside dir or inside the hub cache's blobs of a snapshot.
// Errors start with path.
func ResolveModelFile(dir, path string) (string, error) { return resolveShard(dir, path) }

// ReadWeightMap reads the weight_map of a sharded checkpoint's index file
// (tensor name -> file name), checking that every file name is a plain name
// inside dir and that the index itself may be read. Errors start with index.
func ReadWeightMap(dir, index string) (map[string]string, error) { return readIndex(dir, index) }

// FileKind names the type of a file that is not regular, for messages.
func FileKind(m fs.FileMode) string { return fileKind(m) }

// Found reports whether dir holds model.safetensors or its index, so that
// readers of other formats in the same directory defer to safetensors.
func Found(dir string) bool {
	for _, name := range []string{singleFileName, indexFileName} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}
