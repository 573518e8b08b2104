package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/qfilters/qfilters/kernels"
)

func init() { commands = append(commands, newVersionCmd) }

func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version [--json]",
		Short: "Print the version, the commit it was built from, Go version, OS/arch and the kernel path this CPU runs",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON {
				return printJSON(cmd.OutOrStdout(), versionInfo())
			}
			fmt.Fprint(cmd.OutOrStdout(), versionText())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the same as JSON")
	return cmd
}

// buildInfo is what ran: enough for a bug report or a benchmark row.
type buildInfo struct {
	Version string `json:"version"`
	// Commit and Dirty come from the Go toolchain's VCS stamp (go build in
	// a git checkout); Commit is "" when the build had none.
	Commit  string   `json:"commit"`
	Dirty   bool     `json:"dirty"`
	Go      string   `json:"go"`
	OSArch  string   `json:"os_arch"`
	Kernels string   `json:"kernels"`
	Paths   []string `json:"kernels_available"`
}

func versionInfo() buildInfo {
	info := buildInfo{Version: version, Go: strings.TrimPrefix(runtime.Version(), "go"),
		OSArch: runtime.GOOS + "/" + runtime.GOARCH, Kernels: kernels.CurrentPath()}
	for _, p := range kernels.Paths() {
		info.Paths = append(info.Paths, p.String())
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.modified":
				info.Dirty = s.Value == "true"
			}
		}
	}
	return info
}

// versionText is what `qfilters version` and `qfilters --version` print.
func versionText() string {
	info := versionInfo()
	commit := "unknown (built without VCS information)"
	if info.Commit != "" {
		commit = info.Commit
		if info.Dirty {
			commit += " (with uncommitted changes)"
		}
	}
	return fmt.Sprintf("qfilters %s\ncommit %s\ngo %s\nos/arch %s\nkernels %s (available: %s)\n",
		info.Version, commit, info.Go, info.OSArch, info.Kernels, strings.Join(info.Paths, ", "))
}
