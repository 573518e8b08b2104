package main

import (
	"os"
	"syscall"
)

// peakRSSMB is the finished child's peak resident set in MB; macOS reports
// ru_maxrss in bytes.
func peakRSSMB(ps *os.ProcessState) (float64, bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, false
	}
	return float64(ru.Maxrss) / (1 << 20), true
}
