//go:build !amd64 && !arm64

package kernels

// blockTransposer: other architectures pack every panel in Go.
func blockTransposer() transposer { return transposer{} }
