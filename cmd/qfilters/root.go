package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// version is the tool version recorded in provenance; set with -ldflags at release.
var version = "0.1.0-dev"

// commands holds the constructors of the subcommands; each command file adds
// its own in init, so commands stay independent of one another.
var commands []func() *cobra.Command

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "qfilters",
		Short:         "Compute, inspect and evaluate Q-Filters for KV cache compression",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate(versionText()) // --version prints what `qfilters version` does
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{flagError(err)}
	})
	// --cpuprofile is for developers: where does the time go.
	var cpuProfile string
	var profFile *os.File
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile to `FILE`")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		profFile = f
		return pprof.StartCPUProfile(f)
	}
	root.PersistentPostRun = func(cmd *cobra.Command, args []string) {
		if profFile != nil {
			pprof.StopCPUProfile()
			profFile.Close()
		}
	}
	for _, newCmd := range commands {
		root.AddCommand(newCmd())
	}
	root.SetHelpCommand(newHelpCmd(root))
	return root
}

// newHelpCmd is cobra's help command, except that an unknown topic is a bad
// command line (exit 2), as an unknown command is, not usage and exit 0.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 || (cmd == root && len(args) > 0) {
				return usageError{fmt.Errorf("unknown help topic %q (run qfilters help for the commands)", strings.Join(args, " "))}
			}
			return cmd.Help()
		},
	}
}

// exitCoder is an error that carries its own process exit code.
type exitCoder interface {
	error
	ExitCode() int
}

func asExitCoder(err error, target *exitCoder) bool { return errors.As(err, target) }

// usageError marks a bad command line (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }
func (e usageError) ExitCode() int { return 2 }

// oneLine folds an error message onto a single line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// pflagValue matches pflag's message for a flag value that does not parse,
// which quotes Go's strconv: `invalid argument "x" for "--seed" flag:
// strconv.ParseInt: parsing "x": invalid syntax`.
var pflagValue = regexp.MustCompile(`^invalid argument ("(?:[^"\\]|\\.)*") for "([^"]*)" flag: strconv\.(\w+): .*: (invalid syntax|value out of range)$`)

// flagError rewords a flag value error as the user sees the flag.
func flagError(err error) error {
	m := pflagValue.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	value, uerr := strconv.Unquote(m[1])
	if uerr != nil {
		return err
	}
	flag := m[2]
	if i := strings.LastIndex(flag, ", "); i >= 0 {
		flag = flag[i+2:] // "-s, --seed": the long name
	}
	want := map[string]string{
		"ParseInt": "a whole number", "ParseUint": "a non-negative whole number", "ParseBool": "true or false",
		"Atoi": "whole numbers separated by commas", // list flags
	}[m[3]]
	if want == "" {
		want = "a number"
	}
	if m[4] == "value out of range" {
		return fmt.Errorf("%s: %q is out of range", flag, value)
	}
	return fmt.Errorf("%s must be %s, got %q", flag, want, value)
}

// noArgs is cobra.NoArgs reporting a usage error (exit code 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q (usage: qfilters %s)", cmd.Name(), args[0], cmd.Use)}
	}
	return nil
}
