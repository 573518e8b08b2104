package safetensors

import "testing"

// lfsPointer is what a clone without git-lfs leaves in place of a weight
// file: the pointer of the Git LFS spec (v1), a few lines of text.
const lfsPointer = "version https://git-lfs.github.com/spec/v1\n" +
	"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n" +
	"size 988097824\n"

// TestLFSPointer: a Git LFS pointer in place of model.safetensors (a repository
// cloned without git-lfs) says so, instead of reading its text as a header
// length ("header length 2336927755350992246 exceeds limit").
func TestLFSPointer(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, singleFileName, []byte(lfsPointer))
	wantOpenError(t, dir, path, "a Git LFS pointer (size 988097824), not the file itself")
	if !IsLFSPointer([]byte(lfsPointer)) || IsLFSPointer(rawFile("{}", 0)) {
		t.Error("IsLFSPointer misjudges a pointer or a safetensors file")
	}
}
