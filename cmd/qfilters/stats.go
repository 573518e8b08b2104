package main

import (
	"io"

	"github.com/spf13/cobra"
)

func init() { commands = append(commands, newStatsCmd) }

// statsSamplesEmbedded is --num-samples on the embedded corpus: its first 80
// stories (eval holds out the last 16).
const statsSamplesEmbedded = heldOutEmbedded

type statsOptions struct {
	Model, Revision, Corpus, Out   string
	TextField, Dataset             string
	NumSamples, SampleChars, NSink int
	JSON, Quiet, Force             bool
	Shard, StatsOut                string

	samplesSet bool
	stderr     io.Writer
	progress   bool
}

func newStatsCmd() *cobra.Command {
	var opt statsOptions
	cmd := &cobra.Command{
		Use:   "stats [--model DIR --corpus PATH] [--out DIR]",
		Short: "Compute Expected Attention query statistics (kvpress's ExpectedAttentionStatsPress)",
		Long: `Stats runs the model over the first --num-samples documents of the corpus, each
cut to its first --sample-chars characters and tokenized as tokenizer(text)
does (a pre-tokenized input_ids document is used as it is), and computes per layer and query head the mean and covariance (N-1) of
the queries before RoPE, every token but the first --n-sink of each document,
as kvpress's expected_attention_with_stats.py does. It writes a directory
ExpectedAttentionStats.from_pretrained loads (stats_folder= of
ExpectedAttentionStatsPress), named as kvpress names these repositories.

Sums are kept in float64: --shard i/N --stats-out FILE computes a part that
'qfilters merge' combines. Without --model it uses the embedded stories260K
model and the first 80 stories of its embedded corpus.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opt.samplesSet = cmd.Flags().Changed("num-samples")
			opt.stderr = cmd.ErrOrStderr()
			opt.progress = !opt.Quiet && isTerminal(opt.stderr)
			return runJob(cmd, &statsJob{opt: opt}, opt.JSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.Model, "model", "", "checkpoint `DIR`, model file, or Hugging Face id org/name in the local cache; default: the embedded stories260K")
	f.StringVar(&opt.Revision, "revision", "", "branch or commit hash of a Hugging Face id (default main)")
	f.StringVar(&opt.Corpus, "corpus", "", corpusHelp)
	f.StringVar(&opt.Out, "out", "", "output `DIR` (default: exp_att_stats_{model}_{dataset}_{num_samples}_{sample_chars}_{n_sink})")
	f.IntVar(&opt.NumSamples, "num-samples", 100, "documents to use, the first of the corpus; the embedded corpus uses 80 unless given")
	f.IntVar(&opt.SampleChars, "sample-chars", 1000, "characters kept of each document (kvpress's sample_seq_len)")
	f.IntVar(&opt.NSink, "n-sink", 4, "leading tokens of each document left out of the statistics")
	f.StringVar(&opt.TextField, "text-field", "text", "JSON Lines / Parquet field holding the text")
	f.StringVar(&opt.Dataset, "dataset-name", "", "dataset name recorded in config.json and the default --out (default: from the corpus path)")
	f.BoolVar(&opt.JSON, "json", false, "print a machine-readable summary on stdout")
	f.BoolVar(&opt.Quiet, "quiet", false, quietHelp)
	f.BoolVar(&opt.Force, "force", false, forceHelp)
	f.StringVar(&opt.Shard, "shard", "", "process only shard `i/N` of the documents (0-based; needs --stats-out)"+shardFlagHelp)
	f.StringVar(&opt.StatsOut, "stats-out", "", "write mergeable sums to `FILE` instead of the directory (see qfilters merge)")
	return cmd
}
