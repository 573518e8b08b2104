package main

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/qfilters/qfilters/kernels"
)

func init() { commands = append(commands, newVersionCmd) }

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, Go version, OS/arch and the kernel path this CPU runs",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprint(cmd.OutOrStdout(), versionText())
			return nil
		},
	}
}

// versionText is what `qfilters version` and `qfilters --version` print: enough
// for a bug report or a benchmark row to say what ran.
func versionText() string {
	var paths []string
	for _, p := range kernels.Paths() {
		paths = append(paths, p.String())
	}
	return fmt.Sprintf("qfilters %s\ngo %s\nos/arch %s/%s\nkernels %s (available: %s)\n",
		version, strings.TrimPrefix(runtime.Version(), "go"), runtime.GOOS, runtime.GOARCH,
		kernels.CurrentPath(), strings.Join(paths, ", "))
}
