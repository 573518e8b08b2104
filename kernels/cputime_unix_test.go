//go:build unix

package kernels

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used. On a machine shared with
// other jobs, flops per CPU-second is far steadier than flops per wall second.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
