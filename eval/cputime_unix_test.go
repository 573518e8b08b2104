//go:build unix

package eval

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used: on a machine shared
// with other jobs, far steadier than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
