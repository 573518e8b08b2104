package main

import (
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
