// Command qfilters computes Q-Filters (Godey et al., 2025) for a Hugging Face
// checkpoint on any CPU, and inspects, compares and evaluates them.
package main

import (
	"fmt"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and returns the process exit code. Errors are
// printed as one line on stderr.
func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		var ec exitCoder
		code := 1
		if asExitCoder(err, &ec) {
			code = ec.ExitCode()
		}
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "qfilters: "+oneLine(msg))
		}
		return code
	}
	return 0
}
