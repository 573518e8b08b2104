package kernels

// PathNamed returns the path whose String is name ("generic", "avx2",
// "avx512", "neon"), whether or not this CPU supports it; see Paths.
func PathNamed(name string) (Path, bool) {
	for _, p := range allPaths {
		if p.String() == name {
			return p, true
		}
	}
	return 0, false
}

// PathNames lists the names of every path, supported here or not.
func PathNames() []string {
	names := make([]string, len(allPaths))
	for i, p := range allPaths {
		names[i] = p.String()
	}
	return names
}
