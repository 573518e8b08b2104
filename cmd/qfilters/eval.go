package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/qfilters/qfilters/eval"
)

func init() { commands = append(commands, newEvalCmd) }

// heldOutEmbedded is the number of leading stories of the embedded corpus
// that evaluation skips: calibration reads the corpus from the start, the
// last 16 of its 96 stories are held out.
const heldOutEmbedded = 80

type evalOptions struct {
	Model, Revision, Filters, Corpus, TextField string
	MaxDocs, SkipDocs, SeqLen                   int
	CacheSize, Window, PPLDocs                  int
	Ratios                                      []int
	Seed                                        int64
	JSON, Quiet, Decode                         bool
	PNG                                         string
	Context                                     int
	Stats                                       string

	seqLenSet, skipSet, cacheSet, windowSet bool
	stderr                                  io.Writer
	progress                                bool
}

func newEvalCmd() *cobra.Command {
	var opt evalOptions
	cmd := &cobra.Command{
		Use:   "eval [--model DIR --filters DIR --corpus PATH]",
		Short: "Measure how well filters keep the keys attention needs (recall, correlation, streaming perplexity)",
		Long: `Eval runs the model over held-out sequences and reports, first, the context
recall of kvpress's scenario: the first --context tokens (default 3/4 of
--seq-len) are compressed once, per layer and kv head, by each method
(qfilters, snapkv, expected_attention with --stats, knorm, streaming, random,
oracle), and the share of the continuation's attention to the context that
falls on the kept keys. Then, per compression ratio, the share of the true
attention mass that falls on the keys each method keeps
(Q-Filters, K-norm, Streaming-LLM, random, and the per-query oracle), the
Spearman correlation between each method's key scores and the attention keys
receive, and the perplexity of token-by-token generation with each head's KV
cache capped at --cache-size entries (the --window most recent tokens are never
evicted; Streaming-LLM also keeps 4 sink tokens). The perplexity runs as one
forward pass per sequence whose attention each key sees only while the
evicting cache would hold it (the same figures as decoding, to float32
rounding; --decode decodes instead).

Q-Filters keeps the keys with the highest kvpress score -(filter . K); K-norm
keeps the keys with the lowest norm. A query is evaluated when it sees at least
twice the largest ratio of keys.

Without --model it evaluates the embedded stories260K model on the last 16
stories of the embedded corpus (calibration uses the first ones), with
--seq-len 256 and the filters in stories260K_qfilt (what qfilters calibrate
writes by default).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			opt.seqLenSet = fl.Changed("seq-len")
			opt.skipSet = fl.Changed("skip-docs")
			opt.cacheSet = fl.Changed("cache-size")
			opt.windowSet = fl.Changed("window")
			opt.stderr = cmd.ErrOrStderr()
			opt.progress = !opt.Quiet && !opt.JSON && isTerminal(opt.stderr)
			return runJob(cmd, &evalJob{opt: opt}, opt.JSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.Model, "model", "", "checkpoint `DIR`, model file, or Hugging Face id org/name in the local cache; default: the embedded stories260K")
	f.StringVar(&opt.Revision, "revision", "", "branch or commit hash of a Hugging Face id (default main)")
	f.StringVar(&opt.Filters, "filters", "", "filter `DIR` (default: {model name}_qfilt)")
	f.StringVar(&opt.Corpus, "corpus", "", "held-out "+corpusHelp)
	f.StringVar(&opt.TextField, "text-field", "text", "JSON Lines / Parquet field holding the text")
	f.IntVar(&opt.SkipDocs, "skip-docs", 0, "documents to skip at the start of the corpus (default: those the filters were calibrated on when their provenance shows the same corpus; 80 on the embedded corpus)")
	f.IntVar(&opt.MaxDocs, "num-seqs", 16, "held-out sequences to evaluate")
	f.IntVar(&opt.MaxDocs, "max-docs", 16, "")
	f.MarkHidden("max-docs") // the old spelling, kept for scripts
	f.IntVar(&opt.SeqLen, "seq-len", 2048, "tokens per sequence; shorter documents are skipped, longer ones cut")
	f.IntVar(&opt.CacheSize, "cache-size", 0, "KV cache entries per layer and kv head in the perplexity run (default seq-len/4; negative: skip the run)")
	f.IntVar(&opt.Window, "window", 0, "most recent tokens never evicted (default cache-size/4)")
	f.IntVar(&opt.PPLDocs, "ppl-seqs", 8, "sequences of the perplexity run, the first of the evaluated ones (0: all)")
	f.IntVar(&opt.PPLDocs, "ppl-docs", 8, "")
	f.MarkHidden("ppl-docs") // the old spelling, kept for scripts
	f.IntSliceVar(&opt.Ratios, "ratios", eval.DefaultRatios, "compression ratios of the attention recall")
	f.Int64Var(&opt.Seed, "seed", 0, "seed of the random baseline")
	f.BoolVar(&opt.JSON, "json", false, "print the report as JSON")
	f.StringVar(&opt.PNG, "png", "", "also plot recall and perplexity to `FILE` (.png or .svg)")
	f.BoolVar(&opt.Quiet, "quiet", false, quietHelp)
	f.BoolVar(&opt.Decode, "decode", false, "streaming perplexity by decoding token by token with a real evicting cache (slow; the default masked forward pass gives the same figures to float32 rounding)")
	f.IntVar(&opt.Context, "context", 0, "context recall: the first `C` tokens of each sequence are compressed once, the rest attend to them (default 3/4 of --seq-len; negative: skip)")
	f.StringVar(&opt.Stats, "stats", "", "Expected Attention query statistics `DIR` (qfilters stats) to add expected_attention to the context recall")
	return cmd
}
