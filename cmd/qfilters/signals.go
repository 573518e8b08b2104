package main

import (
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// caught is the signal (its number) that interrupted the current command,
// or 0: run turns it into the exit status shells and schedulers expect of a
// process stopped by it, 128 + the signal (130 for SIGINT, 143 for SIGTERM).
var caught atomic.Int32

// interruptible returns a context cancelled by the first SIGINT or SIGTERM,
// which it records for the exit status. After that first signal the default
// handling is back, so a second Ctrl-C kills a run stuck before it checks
// the context. Commands that never look at a context need none of this: the
// signal ends them with that status already.
func interruptible(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	stopped := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			if n, ok := s.(syscall.Signal); ok {
				caught.Store(int32(n))
			}
			signal.Stop(ch)
			cancel()
		case <-stopped:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		select {
		case <-stopped:
		default:
			close(stopped)
		}
		cancel()
	}
}

// interruptedCode is the exit status of a command that failed after a signal
// interrupted it, and 0 when none did.
func interruptedCode() int {
	if n := caught.Load(); n != 0 {
		return 128 + int(n)
	}
	return 0
}
