package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qfilters/qfilters/calibrate"
	"github.com/qfilters/qfilters/corpus"
	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/kernels"
	"github.com/qfilters/qfilters/model"
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

	untilSet bool

	seqLenSet bool
	stderr    io.Writer
	progress  bool // draw a progress bar on stderr
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
			if cmd.Flags().Changed("checkpoint-every") && !opt.Resume {
				return usageError{errors.New("--checkpoint-every needs --resume: without it no checkpoint is written")}
			}
			opt.stderr = cmd.ErrOrStderr()
			opt.progress = !opt.Quiet && isTerminal(opt.stderr)
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			return runCalibrate(ctx, cmd.OutOrStdout(), opt)
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
	f.BoolVar(&opt.Quiet, "quiet", false, "no progress bar")
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

// noArgs is cobra.NoArgs reporting a usage error (exit code 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q (usage: qfilters %s)", cmd.Name(), args[0], cmd.Use)}
	}
	return nil
}

// calibrateSummary is what --json prints.
type calibrateSummary struct {
	jobSummary
	ModelType       string  `json:"model_type"`
	Layers          int     `json:"layers"`
	KVHeads         int     `json:"kv_heads"`
	Heads           int     `json:"heads"`
	HeadDim         int     `json:"head_dim"`
	Sequences       int     `json:"sequences"`
	SeqLen          int     `json:"seq_len"`
	SamplesPerLayer int     `json:"samples_per_layer"`
	TokensPerSecond float64 `json:"tokens_per_second"`
	MeanEnergyShare float64 `json:"mean_energy_share"`
	MinEnergyShare  float64 `json:"min_energy_share"`
	Shard           string  `json:"shard,omitempty"`
	// With --resume: checkpoints written and the time they took.
	Checkpoints       int     `json:"checkpoints,omitempty"`
	CheckpointSeconds float64 `json:"checkpoint_seconds,omitempty"`
	// WorkingSetBytes estimates the memory the run held (model.WorkingSet).
	WorkingSetBytes int64 `json:"working_set_bytes"`
	// With --until-stable: the sequences it used and why it stopped.
	UntilStable *untilSummary `json:"until_stable,omitempty"`
}

func runCalibrate(ctx context.Context, stdout io.Writer, opt calibrateOptions) error {
	var embedded string // where the embedded assets were extracted, if they were
	err := calibrateWith(ctx, stdout, opt, &embedded)
	if err != nil && embedded != "" && strings.Contains(err.Error(), embedded) {
		// Name the embedded files as the user knows them, not by a temporary path.
		return renamedError{strings.ReplaceAll(err.Error(), embedded+string(filepath.Separator), "embedded:"), err}
	}
	return err
}

// renamedError rewords an error's message and keeps the error (and its exit
// code) underneath.
type renamedError struct {
	msg string
	err error
}

func (e renamedError) Error() string { return e.msg }
func (e renamedError) Unwrap() error { return e.err }

func calibrateWith(ctx context.Context, stdout io.Writer, opt calibrateOptions, embedded *string) error {
	samples, err := parseSamples(opt.Samples)
	if err != nil {
		return usageError{err}
	}
	sign := calibrate.SignRule(opt.Sign)
	if sign != calibrate.SignVote && sign != calibrate.SignMean {
		return usageError{fmt.Errorf("--sign must be vote or mean, got %q", opt.Sign)}
	}
	if opt.SeqLen <= 0 {
		return usageError{fmt.Errorf("--seq-len must be positive, got %d", opt.SeqLen)}
	}
	if opt.NumSeqs <= 0 {
		return usageError{fmt.Errorf("--num-seqs must be positive, got %d", opt.NumSeqs)}
	}
	in, err := resolveInputs(opt.Model, opt.Revision, opt.Corpus)
	if err != nil {
		return err
	}
	defer in.cleanup()
	if in.embeddedModel {
		*embedded = filepath.Dir(in.modelDir)
		if !opt.seqLenSet {
			opt.SeqLen = defaultSeqLenEmbedded
		}
	}
	modelDir, corpusPath, modelName, corpusName := in.modelDir, in.corpusPath, in.modelName, in.corpusName
	spec, err := shardFlag(opt.Shard, opt.Quiet, opt.stderr)
	if err != nil {
		return err
	}
	shard, shards := spec.Index, spec.Count
	if err := checkUntilStable(opt); err != nil {
		return err
	}
	if shards > 1 && opt.StatsOut == "" {
		return usageError{errors.New("--shard needs --stats-out: each shard writes statistics that `qfilters merge` combines")}
	}
	// The target: the filter directory, or with --stats-out a stats file.
	out := opt.Out
	if opt.StatsOut != "" {
		if opt.Out != "" {
			return usageError{errors.New("--stats-out and --out exclude each other: filters come from `qfilters merge`")}
		}
		out = opt.StatsOut
	} else if out == "" {
		out = in.baseName + "_qfilt"
	}
	checkpointDir := ""
	if opt.Resume {
		checkpointDir = out + ".resume"
	}
	everyLayers, everyInterval, err := parseCheckpointEvery(opt.CheckpointEvery)
	if err != nil {
		return usageError{err}
	}

	m, err := model.Open(modelDir)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.SetPrecision(opt.Precision); err != nil {
		return usageError{err}
	}
	if opt.Precision == "bf16" && !kernels.NativeBF16() {
		fmt.Fprintf(opt.stderr, "qfilters: --precision bf16: this CPU has no native bf16 dot product (kernels %s); "+
			"the products run as f32 arithmetic on bf16-rounded operands (the same results, a little slower than --precision f32)\n",
			kernels.CurrentPath())
	}
	cfg := m.Config
	weightsSHA, err := model.WeightsIdentity(m.Weights())
	if err != nil {
		return err
	}
	sel, err := selectSequences(modelDir, corpusPath, cfg.Vocab, opt)
	if err != nil {
		return err
	}
	// The output is checked once every flag and input is: the user sees the
	// real problem first, and nothing heavy has run yet.
	// With --resume, an output already there may be this very run, finished
	// (a re-submitted job): that is checked once the inputs are identified.
	finished := opt.Resume && !opt.Force && exists(out) && (opt.AlsoStats == "" || exists(opt.AlsoStats))
	if !finished {
		if err := checkOutput(out, opt.Force, opt.StatsOut == "", in.inputPaths()...); err != nil {
			return err
		}
	}
	if err := checkAlsoStats(opt, out, in.inputPaths(), finished); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return errors.New("interrupted: nothing was written")
	}
	// A run is identified by content: shards and resumed runs agree only
	// when these do, wherever each worker finds its files. Paths are
	// provenance, never compared.
	identity := map[string]string{
		"model_type": cfg.ReportedType(), "config_sha256": cfg.SHA256, "weights_sha256": weightsSHA,
		"corpus_sha256": sel.corpusSHA, "text_field": opt.TextField,
		"seq_len": strconv.Itoa(opt.SeqLen), "samples": opt.Samples, "precision": opt.Precision,
		"sign": string(sign), // merge solves with it
	}
	if sel.tokenizerSHA != "" {
		identity["tokenizer_sha256"] = sel.tokenizerSHA
	}
	if opt.AlsoStats != "" {
		identity["also_stats_n_sink"] = strconv.Itoa(alsoStatsSinks)
	}
	warnDegenerate(opt.stderr, len(sel.Seqs), opt.SeqLen, samples, cfg.HeadDim)
	if finished {
		return reportFinished(stdout, opt, out, modelName, runKey{identity, opt.Seed, len(sel.Seqs), shard, shards})
	}
	provenance := computedBy(map[string]string{
		"model": modelName, "corpus": corpusName,
		"corpus_docs": strconv.Itoa(sel.DocsSeen), "corpus_files": sel.files,
		"hub_revision": in.hubRevision, "hub_commit": in.hubCommit,
	})

	start := time.Now()
	first, end := shard*len(sel.Seqs)/shards, (shard+1)*len(sel.Seqs)/shards
	w, h, a := cfg.WorkingSet(end-first, opt.SeqLen)
	workingSet := w + h + a
	if opt.progress {
		fmt.Fprintf(opt.stderr, "working set: ~%s (two layers' weights %s, hidden states %s, activations %s)\n",
			mib(workingSet), mib(w), mib(h), mib(a))
	}
	bar := newProgress(opt.stderr, opt.progress, cfg.Layers, end-first, opt.SeqLen)
	checkpoints, checkpointTime := 0, time.Duration(0)
	copt := calibrate.Options{
		Samples: samples, Seed: opt.Seed, Sign: sign, Shard: shard, Shards: shards,
		CheckpointDir: checkpointDir, CheckpointLayers: everyLayers, CheckpointInterval: everyInterval,
		Checkpointed: func(_ int, took time.Duration) {
			checkpoints++
			checkpointTime += took
		},
		Identity: identity, Provenance: provenance,
		Progress: bar.step, Context: ctx,
		Resumed: func(layer int) {
			if !opt.Quiet {
				fmt.Fprintf(opt.stderr, "resuming from layer %d/%d (checkpoint %s)\n", layer+1, cfg.Layers, checkpointDir)
			}
		},
	}
	var res *calibrate.Result
	var stats *calibrate.Stats
	var qstats *calibrate.QueryStats
	var until *untilSummary
	if opt.untilSet {
		res, until, err = runUntilStable(m, sel.Seqs, copt, opt)
		if err == nil {
			sel, err = untilSelection(modelDir, corpusPath, cfg.Vocab, opt, sel, until.Sequences)
			provenance["corpus_docs"], provenance["corpus_files"] = strconv.Itoa(sel.DocsSeen), sel.files
			identity["corpus_sha256"] = sel.corpusSHA
			end = len(sel.Seqs)
		}
	} else if opt.StatsOut != "" {
		stats, err = calibrate.Collect(m, sel.Seqs, copt)
	} else if opt.AlsoStats != "" {
		res, qstats, err = calibrate.RunWithQueryStats(m, sel.Seqs, alsoStatsSinks, copt)
	} else {
		res, err = calibrate.Run(m, sel.Seqs, copt)
	}
	bar.finish()
	if err != nil {
		if ctx.Err() != nil {
			if opt.Resume {
				return fmt.Errorf("interrupted: nothing was written; progress is saved in %s, rerun with --resume to continue", checkpointDir)
			}
			return errors.New("interrupted: nothing was written")
		}
		return err
	}
	elapsed := time.Since(start)
	tokens := (end - first) * opt.SeqLen
	sum := calibrateSummary{
		jobSummary: jobSummary{Out: out, Model: modelName, Tokens: tokens, Seconds: elapsed.Seconds()},
		ModelType:  cfg.ReportedType(),
		Layers:     cfg.Layers, KVHeads: cfg.MaxKVHeads(), Heads: cfg.Heads, HeadDim: cfg.MaxHeadDim(),
		Sequences: end - first, SeqLen: opt.SeqLen,
		TokensPerSecond: float64(tokens) / elapsed.Seconds(),
		WorkingSetBytes: workingSet,
		Checkpoints:     checkpoints, CheckpointSeconds: checkpointTime.Seconds(),
		UntilStable: until,
	}
	if opt.Shard != "" {
		sum.Shard = spec.String()
	}
	if stats != nil {
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		if err := calibrate.WriteStats(out, stats); err != nil {
			return err
		}
	} else {
		f := filtersOf(res, identity, provenance, sign, opt.Seed, len(sel.Seqs))
		_, statErr := os.Lstat(out)
		if err := export.WriteWith(out, f, export.WriteOptions{Force: opt.Force}); err != nil {
			return err
		}
		if qstats != nil {
			if err := writeAlsoStats(opt, in, qstats, len(sel.Seqs)); err != nil {
				if statErr != nil { // the filters are new: a failed run leaves nothing
					os.RemoveAll(out)
				}
				return err
			}
		}
		sum.SamplesPerLayer = res.SamplesUsed
		sum.MeanEnergyShare, sum.MinEnergyShare = energySummary(export.ComputeFigures(f))
	}
	if checkpointDir != "" {
		os.RemoveAll(checkpointDir)
	}
	if opt.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	if stats != nil {
		fmt.Fprintf(stdout, "wrote %s: statistics of shard %d/%d (%d x %d tokens) in %.1fs (%.0f tokens/s, working set ~%s); combine all shards with qfilters merge\n",
			out, shard, shards, sum.Sequences, sum.SeqLen, sum.Seconds, sum.TokensPerSecond, mib(workingSet))
		return nil
	}
	fmt.Fprintf(stdout, "wrote %s: q_filters [%d layers, %d kv heads, %d dims] from %d x %d tokens in %.1fs (%.0f tokens/s, working set ~%s); query energy on the filter direction: mean %.3f, min %.3f\n",
		out, sum.Layers, sum.KVHeads, sum.HeadDim, sum.Sequences, sum.SeqLen, sum.Seconds, sum.TokensPerSecond, mib(workingSet), sum.MeanEnergyShare, sum.MinEnergyShare)
	printStability(stdout, res)
	if until != nil {
		printUntil(stdout, until)
	}
	return nil
}

// filtersOf packages a result with its provenance: id holds the inputs as
// calibrate identifies them, prov where they came from (both as stats files
// carry them to merge).
func filtersOf(res *calibrate.Result, id, prov map[string]string, sign calibrate.SignRule, seed int64, numSeqs int) *export.Filters {
	seqLen, _ := strconv.Atoi(id["seq_len"])
	docs, _ := strconv.Atoi(prov["corpus_docs"])
	return &export.Filters{
		Layers: res.Layers, KVHeads: res.KVHeads, Heads: res.Heads, HeadDim: res.HeadDim,
		QFilters: res.QFilters, PerQueryHead: res.PerQueryHead,
		SingularValues: res.SingularValues, SignAgreement: res.SignAgreement, NoCache: res.NoCache,
		LayerKVHeads: res.LayerKVHeads, LayerHeadDim: res.LayerHeadDim, KVOwner: res.KVOwner,
		Stability: res.Stability, StabilityKV: res.StabilityKV,
		Provenance: &export.Provenance{
			Tool: "qfilters", Version: version,
			Model: prov["model"], HubRevision: prov["hub_revision"], HubCommit: prov["hub_commit"], ModelType: id["model_type"], ConfigSHA256: id["config_sha256"],
			WeightsSHA256: id["weights_sha256"], TokenizerSHA256: id["tokenizer_sha256"],
			Corpus: prov["corpus"], CorpusSHA256: id["corpus_sha256"], TextField: id["text_field"],
			CorpusDocs: docs, CorpusFiles: prov["corpus_files"],
			SeqLen: seqLen, NumSeqs: numSeqs, Tokens: seqLen * numSeqs,
			Samples: id["samples"], Seed: seed, Sign: string(sign), Precision: id["precision"], Kernels: prov["kernels"],
		},
	}
}

// modelBaseName is the model's name as kvpress derives its filter
// repository (nthngdy/{name}_qfilt): the directory's name, or for a Hugging
// Face cache snapshot (models--org--name/snapshots/<rev>) the name part; for
// a GGUF file, its name without the extension.
func modelBaseName(dir string) string {
	dir = filepath.Clean(dir)
	if abs, err := filepath.Abs(dir); err == nil { // ".", "..": the directory's own name
		dir = abs
	}
	parent := filepath.Dir(dir)
	if filepath.Base(parent) == "snapshots" {
		repo := filepath.Base(filepath.Dir(parent))
		if name, ok := strings.CutPrefix(repo, "models--"); ok {
			if i := strings.LastIndex(name, "--"); i >= 0 {
				name = name[i+2:]
			}
			if name != "" {
				return name
			}
		}
	}
	if base := filepath.Base(dir); model.IsGGUF(dir) {
		return strings.TrimSuffix(base, filepath.Ext(base))
	}
	return filepath.Base(dir)
}

// parseCheckpointEvery reads --checkpoint-every: "auto" (0, 0), a number
// of layers, or a duration.
func parseCheckpointEvery(s string) (int, time.Duration, error) {
	if s == "auto" {
		return 0, 0, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return n, 0, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return 0, d, nil
	}
	return 0, 0, fmt.Errorf("--checkpoint-every must be auto, a number of layers or a duration such as 10m, got %q", s)
}

// parseSamples reads --samples: a positive count or "all" (returned as 0).
func parseSamples(s string) (int, error) {
	if strings.EqualFold(s, "all") {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("--samples must be a positive number or \"all\", got %q", s)
	}
	return n, nil
}

// selected is a corpus selection with what identifies it.
type selected struct {
	*corpus.Selection
	corpusSHA    string // the documents read (corpus.Reader.Identity)
	tokenizerSHA string // the tokenizer's files, when text was tokenized
	files        string // the corpus files read, with their sizes
}

// selectSequences tokenizes the corpus with the model's tokenizer (special
// tokens included, as tokenizer(text) does) and picks the sequences.
func selectSequences(modelDir, corpusPath string, vocab int, opt calibrateOptions) (*selected, error) {
	encode, tokenizerSHA := textEncoder(modelDir)
	usedTokenizer := false
	r, err := corpus.Open(corpusPath, corpus.Options{TextField: opt.TextField})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	sel, err := corpus.Select(r, func(text string) ([]int, error) {
		usedTokenizer = true
		return encode(text)
	}, vocab, opt.SeqLen, opt.NumSeqs)
	if err != nil {
		return nil, err
	}
	out := &selected{Selection: sel, corpusSHA: r.Identity()}
	var files []string
	for _, f := range r.FilesRead() {
		files = append(files, fmt.Sprintf("%s (%d bytes)", f.Name, f.Bytes))
	}
	out.files = strings.Join(files, ", ")
	if usedTokenizer {
		out.tokenizerSHA = tokenizerSHA
	}
	return out, nil
}

// energySummary returns the mean and minimum share of query energy along the
// first singular direction over query heads.
func energySummary(st *export.Figures) (mean, min float64) {
	min = 1
	n := 0
	for _, h := range st.Query {
		if h.EnergyShare == nil {
			continue
		}
		mean += *h.EnergyShare
		if *h.EnergyShare < min {
			min = *h.EnergyShare
		}
		n++
	}
	if n == 0 {
		return 0, 0
	}
	return mean / float64(n), min
}

// mib formats a byte count for people.
func mib(b int64) string {
	if b >= 10<<30 {
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%.0f MiB", math.Ceil(float64(b)/(1<<20)))
}
