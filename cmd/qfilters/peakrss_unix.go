//go:build linux || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"os"
	"syscall"
)

// peakRSSMB is the finished child's peak resident set in MB; these systems
// report ru_maxrss in kilobytes.
func peakRSSMB(ps *os.ProcessState) (float64, bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, false
	}
	return float64(ru.Maxrss) / 1024, true
}
