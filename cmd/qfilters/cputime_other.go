//go:build !unix

package main

import "time"

// processCPU: no portable process CPU time here; bench leaves the per
// CPU-second figures out.
func processCPU() time.Duration { return 0 }
