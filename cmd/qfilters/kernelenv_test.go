package main

import (
	"strings"
	"testing"

	"github.com/qfilters/qfilters/kernels"
)

// TestForceKernels: QFILTERS_KERNELS selects each path this CPU has (and
// version reports it), the previous path comes back after the run, and a
// path the CPU lacks is refused naming what it has.
func TestForceKernels(t *testing.T) {
	before := kernels.CurrentPath()
	for _, p := range kernels.Paths() {
		t.Setenv(kernelsEnv, strings.ToUpper(p.String()))
		code, stdout, stderr := runCLI(t, "version")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", p, code, stderr)
		}
		if !strings.Contains(stdout, "kernels "+p.String()+" (") && !strings.Contains(stdout, "kernels "+p.String()+"+") {
			t.Errorf("%s forced, version says:\n%s", p, stdout)
		}
		if now := kernels.CurrentPath(); now != before {
			t.Errorf("after the run the path is %s, was %s", now, before)
		}
	}
	for _, name := range kernels.PathNames() {
		p, _ := kernels.PathNamed(name)
		supported := false
		for _, q := range kernels.Paths() {
			supported = supported || q == p
		}
		if supported {
			continue
		}
		t.Setenv(kernelsEnv, name)
		code, _, stderr := runCLI(t, "version")
		if code != 2 || !strings.Contains(stderr, "cannot run the "+name+" kernels (it has generic") {
			t.Errorf("%s=%s: exit %d, %q", kernelsEnv, name, code, stderr)
		}
	}
}
