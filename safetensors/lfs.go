package safetensors

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// lfsPrefix starts every Git LFS pointer file (spec v1): what a repository
// cloned without git-lfs holds in place of each large file.
const lfsPrefix = "version https://git-lfs.github.com/spec/"

// IsLFSPointer reports whether head, the first bytes of a file, is a Git
// LFS pointer.
func IsLFSPointer(head []byte) bool { return bytes.HasPrefix(head, []byte(lfsPrefix)) }

// LFSPointerError returns the error for a weight file that is a Git LFS
// pointer (r reads the file), or nil when it is not one. Callers put the
// file's path before it.
func LFSPointerError(r io.ReaderAt) error {
	head := make([]byte, 512)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	if !IsLFSPointer(head) {
		return nil
	}
	size := ""
	for _, line := range strings.Split(string(head), "\n") {
		if s, ok := strings.CutPrefix(line, "size "); ok {
			size = " (size " + strings.TrimSpace(s) + ")"
		}
	}
	return fmt.Errorf("a Git LFS pointer%s, not the file itself: the repository was cloned without git-lfs (run `git lfs pull` in it, or download it with `hf download`)", size)
}
