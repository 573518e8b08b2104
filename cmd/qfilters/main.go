// Command qfilters computes Q-Filters (Godey et al., 2025) for a Hugging Face
// checkpoint on any CPU, and inspects, compares and evaluates them.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// The heap is a few large float buffers with hardly any pointers:
		// collecting often costs little and keeps peak memory near the live
		// set (the default lets garbage grow to the size of the live heap).
		debug.SetGCPercent(20)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line and returns the process exit code. Errors are
// printed as one line on stderr.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		// A panic is a bug of ours; still, the user gets one line and a
		// non-zero exit rather than a stack dump.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "qfilters: internal error: %v (please report this)\n", r)
			code = 3
		}
	}()
	restore, err := forceKernels(os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "qfilters: "+err.Error())
		return 2
	}
	defer restore()
	caught.Store(0)
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.Execute(); err != nil {
		var ec exitCoder
		code := 1
		if sig := interruptedCode(); sig != 0 {
			code = sig
		} else if asExitCoder(err, &ec) {
			code = ec.ExitCode()
		} else if strings.HasPrefix(err.Error(), "unknown command") {
			code = 2 // cobra's own command-line error
		}
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(stderr, "qfilters: "+oneLine(msg))
		}
		return code
	}
	return 0
}
