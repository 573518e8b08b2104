package main

import (
	"io"

	"github.com/spf13/cobra"
)

func init() { commands = append(commands, newCalibrateCmd) }

// defaultSeqLenEmbedded is the sequence length used on the embedded default
// model when --seq-len is not given: its stories are about 400 tokens long and
// it was trained on 512-token contexts.
const defaultSeqLenEmbedded = 256

type calibrateOptions struct {
	Model, Revision, Corpus, Out string
	SeqLen, NumSeqs              int
	Samples                      string
	Seed                         int64
	TextField                    string
	Sign                         string
	JSON, Quiet, Force           bool
	Shard, StatsOut              string
	AlsoStats                    string
	Precision                    string
	Resume                       bool
	CheckpointEvery              string
	UntilStable                  float64

	untilSet, seqLenSet, everySet bool
	stderr                        io.Writer
	progress                      bool // draw a progress bar on stderr
}

func newCalibrateCmd() *cobra.Command {
	var opt calibrateOptions
	cmd := &cobra.Command{
		Use:   "calibrate [--model DIR --corpus PATH] [--out DIR]",
		Short: "Compute Q-Filters for a checkpoint from a calibration corpus",
		Long: `Calibrate runs the model over the corpus layer by layer, takes the post-RoPE
queries of every attention head, finds their principal direction, fixes its
sign and writes a filter directory that kvpress's QFilters.from_pretrained loads.

Without --model it calibrates the embedded stories260K model, on its embedded
corpus unless --corpus is given (with --seq-len 256 unless given).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opt.seqLenSet = cmd.Flags().Changed("seq-len")
			opt.untilSet = cmd.Flags().Changed("until-stable")
			opt.everySet = cmd.Flags().Changed("checkpoint-every")
			opt.stderr = cmd.ErrOrStderr()
			opt.progress = !opt.Quiet && isTerminal(opt.stderr)
			return runJob(cmd, &calibrateJob{opt: opt}, opt.JSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.Model, "model", "", "checkpoint `DIR` (config.json, safetensors, tokenizer.json), model file, or Hugging Face id org/name in the local cache; default: the embedded stories260K")
	f.StringVar(&opt.Revision, "revision", "", "branch or commit hash of a Hugging Face id (default main)")
	f.StringVar(&opt.Corpus, "corpus", "", "calibration "+corpusHelp)
	f.StringVar(&opt.Out, "out", "", "output `DIR` (default: {model name}_qfilt)")
	f.IntVar(&opt.SeqLen, "seq-len", 2048, "tokens per sequence; shorter documents are skipped, longer ones cut")
	f.IntVar(&opt.NumSeqs, "num-seqs", 20, "number of calibration sequences")
	f.StringVar(&opt.Samples, "samples", "3000", "token positions per layer for the SVD, or \"all\"")
	f.Int64Var(&opt.Seed, "seed", 0, "seed of the position sampling")
	f.StringVar(&opt.TextField, "text-field", "text", "JSON Lines / Parquet field holding the text")
	f.StringVar(&opt.Sign, "sign", "vote", "sign rule: vote (the reference script's majority vote) or mean (the paper's)")
	f.BoolVar(&opt.JSON, "json", false, "print a machine-readable summary on stdout")
	f.BoolVar(&opt.Quiet, "quiet", false, quietHelp)
	f.BoolVar(&opt.Force, "force", false, forceHelp)
	f.StringVar(&opt.Shard, "shard", "", "process only shard `i/N` of the sequences (0-based; needs --stats-out)"+shardFlagHelp)
	f.StringVar(&opt.AlsoStats, "also-stats", "", "also write Expected Attention query statistics (qfilters stats) of the calibration sequences to `DIR`, from the same pass")
	f.StringVar(&opt.StatsOut, "stats-out", "", "write mergeable statistics to `FILE` instead of filters (see qfilters merge)")
	f.StringVar(&opt.Precision, "precision", "f32", "matrix-product arithmetic: f32, or bf16 (as the reference's GPU autocast; faster on CPUs with native bf16 dot products: AVX512_BF16, arm64 BF16)")
	f.BoolVar(&opt.Resume, "resume", false, "checkpoint to OUT.resume between layers and continue from it if present")
	f.StringVar(&opt.CheckpointEvery, "checkpoint-every", "auto", "with --resume: checkpoint every N layers, every DURATION (e.g. 10m), or auto: as often as keeps the writes under 5% of the run")
	f.Float64Var(&opt.UntilStable, "until-stable", 0, "add sequences in rounds (4, 8, 16, ...) until every head's split-half stability reaches `COS` (e.g. 0.999) or --num-seqs is reached; the filters are those of --num-seqs N for the N it stops at (docs/STABILITY.md)")
	return cmd
}
