package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/qfilters/qfilters/synth"
)

func init() { commands = append(commands, newSynthCmd) }

func newSynthCmd() *cobra.Command {
	var preset, out string
	var seed uint64
	cmd := &cobra.Command{
		Use:   "synth --preset NAME --out DIR",
		Short: "Write a random-weight bf16 checkpoint with the exact shapes of a real model",
		Long: "Synth writes config.json, bf16 safetensors shards and their index with the shapes of a real\n" +
			"model, so the tool can be tried and benchmarked with real file I/O before downloading anything.\n" +
			"Presets: " + fmt.Sprint(synth.Names()),
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSynth(cmd.OutOrStdout(), preset, out, seed)
		},
	}
	cmd.Flags().StringVar(&preset, "preset", "llama-3.2-1b", "model shape `NAME`")
	cmd.Flags().StringVar(&out, "out", "", "output `DIR` (must not exist)")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the random weights")
	return cmd
}

func runSynth(stdout io.Writer, name, out string, seed uint64) error {
	if out == "" {
		return usageError{fmt.Errorf("--out is required")}
	}
	p, err := synth.Lookup(name)
	if err != nil {
		return usageError{err}
	}
	if err := synth.Write(out, p, seed); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s shapes, %.4g M parameters in bf16\n", out, name, float64(p.Params())/1e6)
	return nil
}
