package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/qfilters/qfilters/corpus"
	"github.com/qfilters/qfilters/eval"
	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/figure"
	"github.com/qfilters/qfilters/model"
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
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			return runEval(ctx, cmd.OutOrStdout(), opt)
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
	f.IntVar(&opt.PPLDocs, "ppl-docs", 8, "sequences of the perplexity run, the first of the evaluated ones (0: all)")
	f.IntSliceVar(&opt.Ratios, "ratios", eval.DefaultRatios, "compression ratios of the attention recall")
	f.Int64Var(&opt.Seed, "seed", 0, "seed of the random baseline")
	f.BoolVar(&opt.JSON, "json", false, "print the report as JSON")
	f.StringVar(&opt.PNG, "png", "", "also plot recall and perplexity to `FILE` (.png or .svg)")
	f.BoolVar(&opt.Quiet, "quiet", false, "no progress on stderr")
	f.BoolVar(&opt.Decode, "decode", false, "streaming perplexity by decoding token by token with a real evicting cache (slow; the default masked forward pass gives the same figures to float32 rounding)")
	f.IntVar(&opt.Context, "context", 0, "context recall: the first `C` tokens of each sequence are compressed once, the rest attend to them (default 3/4 of --seq-len; negative: skip)")
	f.StringVar(&opt.Stats, "stats", "", "Expected Attention query statistics `DIR` (qfilters stats) to add expected_attention to the context recall")
	return cmd
}

// evalReport is the --json output.
type evalReport struct {
	Model    string   `json:"model"`
	Filters  string   `json:"filters"`
	Corpus   string   `json:"corpus"`
	Sources  []string `json:"sources"`
	SkipDocs int      `json:"skip_docs"`
	Seed     int64    `json:"seed"`
	*eval.Report
}

func runEval(ctx context.Context, stdout io.Writer, opt evalOptions) (err error) {
	if opt.PNG != "" {
		if err := figure.CheckPath(opt.PNG); err != nil {
			return usageError{err}
		}
	}
	if opt.MaxDocs <= 0 {
		return usageError{fmt.Errorf("--num-seqs must be positive, got %d", opt.MaxDocs)}
	}
	if opt.SkipDocs < 0 {
		return usageError{fmt.Errorf("--skip-docs must be >= 0, got %d", opt.SkipDocs)}
	}
	if len(opt.Ratios) == 0 {
		return usageError{errors.New("--ratios is empty")}
	}
	for _, r := range opt.Ratios {
		if r < 1 {
			return usageError{fmt.Errorf("--ratios must be >= 1, got %d", r)}
		}
	}
	if opt.PPLDocs < 0 {
		return usageError{fmt.Errorf("--ppl-docs must be >= 0, got %d", opt.PPLDocs)}
	}
	in, err := resolveInputs(opt.Model, opt.Revision, opt.Corpus)
	if err != nil {
		return err
	}
	defer in.cleanup()
	defer func() { err = in.named(err) }()
	if in.embeddedModel {
		if in.embeddedCorpus && !opt.skipSet {
			opt.SkipDocs = heldOutEmbedded
		}
		if !opt.seqLenSet {
			opt.SeqLen = defaultSeqLenEmbedded
		}
	}
	modelDir, corpusPath, modelName, corpusName := in.modelDir, in.corpusPath, in.modelName, in.corpusName
	if opt.SeqLen <= 0 {
		return usageError{fmt.Errorf("--seq-len must be positive, got %d", opt.SeqLen)}
	}
	if !opt.cacheSet {
		opt.CacheSize = opt.SeqLen / 4
	}
	if !opt.windowSet {
		opt.Window = max(opt.CacheSize, 0) / 4
	}
	if opt.CacheSize == 0 {
		return usageError{errors.New("--cache-size must be positive (negative skips the perplexity run)")}
	}
	if opt.CacheSize > 0 {
		ev := eval.Evictor{Size: opt.CacheSize, Window: opt.Window, Sinks: eval.DefaultSinks}
		if err := ev.Check(); err != nil {
			return usageError{fmt.Errorf("--cache-size/--window: %w", err)}
		}
		if err := eval.CheckCacheSize(opt.CacheSize, opt.SeqLen); err != nil {
			return usageError{fmt.Errorf("--cache-size %d: %w (or a negative size to skip the perplexity)", opt.CacheSize, err)}
		}
	}
	filtersDir := opt.Filters
	if filtersDir == "" {
		filtersDir = in.baseName + "_qfilt"
	}

	if _, err := os.Stat(filtersDir); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if opt.Filters == "" {
				return fmt.Errorf("no filters: %s does not exist (run qfilters calibrate first, or pass --filters DIR)", filtersDir)
			}
			return fmt.Errorf("filters directory %s does not exist", filtersDir)
		}
		return err
	}
	filters, err := export.Read(filtersDir)
	if err != nil {
		return err
	}
	m, err := model.Open(modelDir)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := eval.CheckShape(m.Config, filters); err != nil {
		return fmt.Errorf("%s does not fit %s: %w", filtersDir, modelName, err)
	}
	if p := filters.Provenance; p != nil && p.ConfigSHA256 != "" && m.Config.SHA256 != "" && p.ConfigSHA256 != m.Config.SHA256 && !opt.Quiet {
		fmt.Fprintf(opt.stderr, "qfilters: warning: %s was calibrated on %s, whose config.json differs from this model's\n", filtersDir, orDash(p.Model))
	}

	if opt.Context == 0 {
		opt.Context = opt.SeqLen * 3 / 4
	}
	if opt.Context > 0 && (opt.Context < 2 || opt.Context >= opt.SeqLen) {
		return usageError{fmt.Errorf("--context must be between 2 and --seq-len - 1 (%d), got %d", opt.SeqLen-1, opt.Context)}
	}
	var expStats *export.ExpStats
	if opt.Stats != "" {
		if expStats, err = export.ReadExpStats(opt.Stats); err != nil {
			return err // names the directory
		}
		if err := eval.CheckExpStats(m.Config, expStats); err != nil {
			return fmt.Errorf("--stats %s does not fit %s: %w", opt.Stats, modelName, err)
		}
	}
	var note string
	opt.SkipDocs, note = heldOut(filtersDir, filters.Provenance, corpusPath, corpusName, opt, in.embeddedCorpus)
	seqs, sources, err := heldOutSequences(modelDir, corpusPath, m.Config.Vocab, opt)
	if err != nil {
		return err // alone on stderr: it says what was skipped
	}
	if note != "" && !opt.Quiet {
		fmt.Fprintf(opt.stderr, "qfilters: %s\n", note)
	}
	if corpusName != corpusPath { // embedded: name the line, not the temporary file
		for i, s := range sources {
			sources[i] = corpusName + strings.TrimPrefix(s, corpusPath)
		}
	}
	cfg := eval.Config{
		Options: eval.Options{Ratios: opt.Ratios},
		Seed:    uint64(opt.Seed), CacheSize: max(opt.CacheSize, 0), Window: opt.Window, PPLSeqs: opt.PPLDocs,
		Context: ctx, ContextLen: max(opt.Context, 0), ExpStats: expStats, Decode: opt.Decode,
	}
	if opt.progress {
		pplSeqs := len(seqs)
		if opt.PPLDocs > 0 {
			pplSeqs = min(pplSeqs, opt.PPLDocs)
		}
		p := newEvalProgress(opt.stderr, float64(len(seqs)*opt.SeqLen), float64(pplSeqs*opt.SeqLen*len(eval.PPLMethods)))
		cfg.Progress = p.update
		defer p.finish()
	}
	rep, err := eval.Run(m, filters, seqs, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return errors.New("interrupted")
		}
		return err
	}
	full := evalReport{Model: modelName, Filters: filtersDir, Corpus: corpusName, Sources: sources, SkipDocs: opt.SkipDocs, Seed: opt.Seed, Report: rep}
	if opt.PNG != "" {
		if err := eval.Figure(rep, modelName, corpusName).Save(opt.PNG); err != nil {
			return fmt.Errorf("writing %s: %w", opt.PNG, err)
		}
	}
	if opt.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(full)
	}
	_, err = io.WriteString(stdout, formatEval(full))
	return err
}

// heldOutSequences skips opt.SkipDocs documents, then returns the first
// opt.MaxDocs documents of at least opt.SeqLen tokens, cut to opt.SeqLen.
// Fewer is fine; none is an error saying what was seen.
func heldOutSequences(modelDir, corpusPath string, vocab int, opt evalOptions) ([][]int, []string, error) {
	encode, _ := textEncoder(modelDir)
	r, err := corpus.Open(corpusPath, corpus.Options{TextField: opt.TextField})
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	sel, err := corpus.SelectHeldOut(r, encode, vocab, opt.SeqLen, opt.MaxDocs, opt.SkipDocs)
	if err != nil {
		return nil, nil, err
	}
	return sel.Seqs, sel.Sources, nil
}

// formatEval renders the report as terminal tables, in the order eval's
// help and the README give: context recall, attention recall, perplexity.
func formatEval(r evalReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "model %s, filters %s\ncorpus %s: %s x %d tokens (skipped the first %s)\n\n",
		r.Model, r.Filters, r.Corpus, count(r.Sequences, "held-out sequence", "held-out sequences"), r.SeqLen, count(r.SkipDocs, "document", "documents"))
	if cr := r.ContextRecall; cr != nil { // kvpress's scenario leads
		b.WriteString(formatContextRecall(cr))
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "attention recall: share of attention mass on the kept keys (%d queries per head and sequence, each seeing >= %d keys)\n", r.QueriesPerHead, r.MinKeys)
	fmt.Fprintf(&b, "%-10s", "method")
	for _, ratio := range r.Ratios {
		fmt.Fprintf(&b, " %7s", fmt.Sprintf("x%d", ratio))
	}
	fmt.Fprintf(&b, " %9s\n", "spearman")
	spear := map[string]*float64{}
	for _, s := range r.Spearman {
		spear[s.Method] = s.Mean
	}
	for _, mr := range r.Recall {
		fmt.Fprintf(&b, "%-10s", mr.Method)
		for _, v := range mr.Mean {
			fmt.Fprintf(&b, " %7.4f", v)
		}
		if v, ok := spear[mr.Method]; ok && v != nil {
			fmt.Fprintf(&b, " %9.4f", *v)
		} else {
			fmt.Fprintf(&b, " %9s", "-")
		}
		b.WriteString("\n")
	}
	b.WriteString("(spearman: keep score vs mean attention received, per head; streaming ranks sinks first, then recency)\n")
	if p := r.Perplexity; p != nil {
		fmt.Fprintf(&b, "\nstreaming perplexity: cache %d entries per head, window %d, %s, %s\n", p.CacheSize, p.Window, count(p.Sequences, "sequence", "sequences"), count(p.Predictions, "prediction", "predictions"))
		fmt.Fprintf(&b, "%-10s %10s %11s\n", "method", "ppl", "gap closed")
		for _, mp := range p.Methods {
			gap := "-"
			if mp.GapClosed != nil {
				gap = fmt.Sprintf("%.3f", *mp.GapClosed)
			}
			fmt.Fprintf(&b, "%-10s %10.4f %11s\n", mp.Method, mp.PPL, gap)
		}
		b.WriteString("(gap closed: (ppl_streaming - ppl)/(ppl_streaming - ppl_full))\n")
	}
	return b.String()
}

// formatContextRecall renders the context recall table.
func formatContextRecall(cr *eval.ContextReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "context recall: the first %d tokens compressed once; share of the %d continuation queries' attention to them on the kept keys\n",
		cr.Context, cr.Continuation)
	fmt.Fprintf(&b, "%-18s", "method")
	for _, ratio := range cr.Ratios {
		fmt.Fprintf(&b, " %7s", fmt.Sprintf("x%d", ratio))
	}
	b.WriteString("\n")
	for _, name := range cr.Order {
		fmt.Fprintf(&b, "%-18s", name)
		for _, v := range cr.Methods[name] {
			fmt.Fprintf(&b, " %7.4f", v)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "(oracle: the context keys with the largest share of the continuation's attention to the context; snapkv: window %d, pooling 5; streaming: 4 sinks + most recent)\n", cr.SnapKVWindow)
	return b.String()
}
