package main

import (
	"fmt"
	"strings"

	"github.com/qfilters/qfilters/kernels"
)

// kernelsEnv names the environment variable that forces a kernel path, e.g.
// QFILTERS_KERNELS=avx2 on an AVX-512 machine, to measure or check what an
// AVX2-only CPU runs. Child processes (bench's calibration) inherit it.
const kernelsEnv = "QFILTERS_KERNELS"

// forceKernels applies QFILTERS_KERNELS when getenv has it and returns the
// function that restores the previous path.
func forceKernels(getenv func(string) string) (restore func(), err error) {
	name := getenv(kernelsEnv)
	if name == "" {
		return func() {}, nil
	}
	p, ok := kernels.PathNamed(strings.ToLower(name))
	if !ok {
		return nil, usageError{fmt.Errorf("%s=%s is not a kernel path: use one of %s",
			kernelsEnv, name, strings.Join(kernels.PathNames(), ", "))}
	}
	var have []string
	for _, q := range kernels.Paths() {
		if q == p {
			return kernels.SetPath(p), nil
		}
		have = append(have, q.String())
	}
	return nil, usageError{fmt.Errorf("%s=%s: this CPU cannot run the %s kernels (it has %s)",
		kernelsEnv, name, p, strings.Join(have, ", "))}
}
