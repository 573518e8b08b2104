package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/kernels"
)

// TestVersion: the command and the flag print the same lines, naming the
// version, Go, OS/arch and the kernel path in use.
func TestVersion(t *testing.T) {
	out, _, err := execute(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	flag, _, err := execute(t, "--version")
	if err != nil {
		t.Fatal(err)
	}
	if out != flag {
		t.Errorf("version printed\n%s--version printed\n%s", out, flag)
	}
	for _, want := range []string{"qfilters " + version + "\n", runtime.Version()[2:], runtime.GOOS + "/" + runtime.GOARCH,
		"kernels " + kernels.CurrentPath()} {
		if !strings.Contains(out, want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}
	if _, _, err := execute(t, "version", "extra"); err == nil {
		t.Error("version with an argument: no error")
	}
}

// TestVersionNamesCommit: a binary built in a git checkout names the commit
// and whether the tree had uncommitted changes (as git says), in text and
// JSON.
func TestVersionNamesCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skip("not a git checkout (or no git): nothing to stamp")
	}
	status, _ := exec.Command("git", "status", "--porcelain").Output()
	bin := filepath.Join(t.TempDir(), "qfilters")
	if out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var info buildInfo
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatal(err)
	}
	if top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output(); err == nil && info.Commit == "" {
		// Go stamps a build whose module root holds a .git directory; a
		// linked worktree has a .git file and gets no stamp.
		if st, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err == nil && !st.IsDir() {
			t.Skip("a linked git worktree: go build stamps no commit here")
		}
	}
	if info.Commit != strings.TrimSpace(string(head)) || info.Dirty != (len(status) > 0) {
		t.Errorf("version --json: commit %q dirty %v; git: %s, %d bytes of status", info.Commit, info.Dirty, head, len(status))
	}
	text, _ := exec.Command(bin, "version").Output()
	if !strings.Contains(string(text), "commit "+info.Commit) {
		t.Errorf("version does not name the commit:\n%s", text)
	}
}
