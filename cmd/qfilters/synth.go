package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/qfilters/qfilters/synth"
)

func init() { commands = append(commands, newSynthCmd) }

func newSynthCmd() *cobra.Command {
	var preset, out string
	var seed int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "synth --preset NAME --out DIR",
		Short: "Write a random-weight bf16 checkpoint with the exact shapes of a real model",
		Long: "Synth writes config.json, bf16 safetensors shards and their index with the shapes of a real\n" +
			"model, so the tool can be tried and benchmarked with real file I/O before downloading anything.\n" +
			"Presets: " + fmt.Sprint(synth.Names()),
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			return runSynth(ctx, cmd.OutOrStdout(), preset, out, uint64(seed), asJSON) // every command's --seed is an int64
		},
	}
	cmd.Flags().StringVar(&preset, "preset", "llama-3.2-1b", "model shape `NAME`")
	cmd.Flags().StringVar(&out, "out", "", "output `DIR` (must not exist)")
	cmd.Flags().Int64Var(&seed, "seed", 1, "seed of the random weights")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a machine-readable summary on stdout")
	return cmd
}

// synthWrite is synth.Write; tests replace it to fail halfway.
var synthWrite = synth.Write

// synthSummary is what synth --json prints.
type synthSummary struct {
	jobSummary       // model: the preset; tokens: none, it runs no model
	Parameters int64 `json:"parameters"`
	Bytes      int64 `json:"bytes"`
}

func runSynth(ctx context.Context, stdout io.Writer, name, out string, seed uint64, asJSON bool) error {
	start := time.Now()
	if out == "" {
		return usageError{fmt.Errorf("--out is required")}
	}
	p, err := synth.Lookup(name)
	if err != nil {
		return usageError{err}
	}
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("output %s already exists", out)
	}
	// Written beside out and renamed into place: a failed or interrupted
	// run (gigabytes, for the big presets) leaves nothing behind.
	parent := filepath.Dir(filepath.Clean(out))
	if st, err := os.Stat(parent); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("output %s: its parent %s does not exist", out, parent)
	} else if err != nil || !st.IsDir() {
		return fmt.Errorf("output %s: its parent %s is not a directory", out, parent)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	done := make(chan error, 1)
	go func() { done <- synthWrite(filepath.Join(tmp, "model"), p, seed) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		return errors.New("interrupted: nothing was written")
	}
	if err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(tmp, "model"), out); err != nil {
		return err
	}
	if asJSON {
		return printJSON(stdout, synthSummary{jobSummary{Out: out, Model: name, Seconds: time.Since(start).Seconds()}, p.Params(), dirBytes(out)})
	}
	fmt.Fprintf(stdout, "wrote %s: %s shapes, %.4g M parameters in bf16\n", out, name, float64(p.Params())/1e6)
	return nil
}

// dirBytes is the size of the files in dir.
func dirBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
