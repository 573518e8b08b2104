package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qfilters/qfilters/calibrate"
	"github.com/qfilters/qfilters/corpus"
	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/model"
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
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			return runStats(ctx, cmd.OutOrStdout(), opt)
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
	f.BoolVar(&opt.Quiet, "quiet", false, "no progress bar and no notes on stderr")
	f.BoolVar(&opt.Force, "force", false, forceHelp)
	f.StringVar(&opt.Shard, "shard", "", "process only shard `i/N` of the documents (0-based; needs --stats-out)"+shardFlagHelp)
	f.StringVar(&opt.StatsOut, "stats-out", "", "write mergeable sums to `FILE` instead of the directory (see qfilters merge)")
	return cmd
}

type statsSummary struct {
	jobSummary
	Dataset    string `json:"dataset"`
	Layers     int    `json:"layers"`
	Heads      int    `json:"heads"`
	HeadDim    int    `json:"head_dim"`
	NumSamples int    `json:"num_samples"`
	Skipped    int    `json:"skipped"`
	Queries    int64  `json:"queries_per_head"`
	Shard      string `json:"shard,omitempty"`
}

func runStats(ctx context.Context, stdout io.Writer, opt statsOptions) (err error) {
	if opt.SampleChars <= 0 {
		return usageError{fmt.Errorf("--sample-chars must be positive, got %d", opt.SampleChars)}
	}
	if opt.NSink < 0 {
		return usageError{fmt.Errorf("--n-sink must be >= 0, got %d", opt.NSink)}
	}
	spec, err := shardFlag(opt.Shard, opt.Quiet, opt.stderr)
	if err != nil {
		return err
	}
	shard, shards := spec.Index, spec.Count
	if shards > 1 && opt.StatsOut == "" {
		return usageError{errors.New("--shard needs --stats-out: each shard writes sums that `qfilters merge` combines")}
	}
	if opt.StatsOut != "" && opt.Out != "" {
		return usageError{errors.New("--stats-out and --out exclude each other: the directory comes from `qfilters merge`")}
	}
	in, err := resolveInputs(opt.Model, opt.Revision, opt.Corpus)
	if err != nil {
		return err
	}
	defer in.cleanup()
	defer func() { err = in.named(err) }()
	if in.embeddedCorpus && !opt.samplesSet {
		opt.NumSamples = statsSamplesEmbedded
	}
	if opt.NumSamples <= 0 {
		return usageError{fmt.Errorf("--num-samples must be positive, got %d", opt.NumSamples)}
	}
	modelName := statsModelName(opt.Model, in)
	dataset := opt.Dataset
	if dataset == "" {
		dataset = datasetName(in)
	}
	out := opt.StatsOut
	if out == "" {
		out = opt.Out
		if out == "" {
			out = export.StatsDirName(modelName, dataset, opt.NumSamples, opt.SampleChars, opt.NSink)
		}
	}

	m, err := model.Open(in.modelDir)
	if err != nil {
		return err
	}
	defer m.Close()
	cfg := m.Config
	weightsSHA, err := model.WeightsIdentity(m.Weights())
	if err != nil {
		return err
	}
	docs, err := statsSamples(in, cfg.Vocab, opt)
	if err != nil {
		return err
	}
	// Documents no longer than the sinks have no query left: skipped, said.
	var seqs [][]int
	for _, ids := range docs.seqs {
		if len(ids) > opt.NSink {
			seqs = append(seqs, ids)
		}
	}
	skipped := len(docs.seqs) - len(seqs)
	queries := 0
	for _, ids := range seqs {
		queries += len(ids) - opt.NSink
	}
	if queries < 2 {
		return fmt.Errorf("--n-sink %d leaves %s per head (%d of the %s are at most %s long): a covariance needs 2",
			opt.NSink, count(queries, "query", "queries"), skipped, count(len(docs.seqs), "sample", "samples"), count(opt.NSink, "token", "tokens"))
	}
	if shards > len(seqs) {
		return fmt.Errorf("--shard %s: %d shards for %s, every shard needs one", opt.Shard, shards, count(len(seqs), "sample", "samples"))
	}
	// The output is checked once every flag and input is (as calibrate does).
	if err := checkOutput(out, opt.Force, opt.StatsOut == "", in.inputPaths()...); err != nil {
		return err
	}
	if skipped > 0 && !opt.Quiet {
		fmt.Fprintf(opt.stderr, "qfilters: skipped %d of %s: at most %s long, nothing left after --n-sink %d\n",
			skipped, count(len(docs.seqs), "sample", "samples"), count(opt.NSink, "token", "tokens"), opt.NSink)
	}
	if ctx.Err() != nil {
		return errors.New("interrupted: nothing was written")
	}
	identity := map[string]string{
		"model_type": cfg.ModelType, "config_sha256": cfg.SHA256, "weights_sha256": weightsSHA,
		"corpus_sha256": docs.corpusSHA, "tokenizer_sha256": docs.tokenizerSHA, "text_field": opt.TextField,
		"num_samples": strconv.Itoa(opt.NumSamples), "sample_chars": strconv.Itoa(opt.SampleChars),
	}
	provenance := computedBy(map[string]string{"model": modelName, "dataset": dataset, "corpus": in.corpusName, "skipped": strconv.Itoa(skipped),
		"hub_revision": in.hubRevision, "hub_commit": in.hubCommit})

	start := time.Now()
	first, end := shard*len(seqs)/shards, (shard+1)*len(seqs)/shards
	meanLen := 0
	for _, s := range seqs[first:end] {
		meanLen += len(s)
	}
	bar := newProgress(opt.stderr, opt.progress, cfg.Layers, end-first, meanLen/max(end-first, 1))
	qs, err := calibrate.CollectQueryStats(m, seqs, opt.NSink, calibrate.Options{
		Shard: shard, Shards: shards, Identity: identity, Provenance: provenance,
		Progress: bar.step, Context: ctx,
	})
	bar.finish()
	if err != nil {
		if ctx.Err() != nil {
			return errors.New("interrupted: nothing was written")
		}
		return err
	}
	sum := statsSummary{jobSummary: jobSummary{Out: out, Model: modelName, Tokens: int(qs.Count[0]) + opt.NSink*len(seqs[first:end]), Seconds: time.Since(start).Seconds()}, Dataset: dataset, Layers: cfg.Layers, Heads: cfg.Heads, HeadDim: cfg.HeadDim,
		NumSamples: opt.NumSamples, Skipped: skipped, Queries: qs.Count[0]}
	if opt.StatsOut != "" {
		sum.Shard = fmt.Sprintf("%d/%d", shard, shards)
		if err := os.MkdirAll(filepath.Dir(opt.StatsOut), 0o755); err != nil {
			return err
		}
		if err := calibrate.WriteQueryStats(opt.StatsOut, qs); err != nil {
			return err
		}
	} else {
		es, err := expStatsOf(qs)
		if err != nil {
			return err
		}
		if err := export.WriteExpStats(out, es, export.WriteOptions{Force: opt.Force}); err != nil {
			return err
		}
	}
	if opt.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	if opt.StatsOut != "" {
		// A shard holds sums of its own samples, not the statistics.
		fmt.Fprintf(stdout, "wrote %s: sums of shard %s (%d of the %s), %s per head, %.1fs; combine all shards with qfilters merge\n",
			out, sum.Shard, end-first, count(len(seqs), "sample", "samples"), count(int(qs.Count[0]), "query", "queries"), sum.Seconds)
		return nil
	}
	fmt.Fprintf(stdout, "wrote %s: query_mean [%d, %d, %d], query_cov [%d, %d, %d, %d] from %s (%d skipped), %s per head, %.1fs\n",
		out, cfg.Layers, cfg.Heads, cfg.HeadDim, cfg.Layers, cfg.Heads, cfg.HeadDim, cfg.HeadDim,
		count(len(seqs), "sample", "samples"), skipped, count(int(qs.Count[0]), "query", "queries"), sum.Seconds)
	return nil
}

// expStatsOf turns complete query statistics into the kvpress directory's
// contents, with the names and settings the run recorded.
func expStatsOf(qs *calibrate.QueryStats) (*export.ExpStats, error) {
	es, err := qs.ExpStats()
	if err != nil {
		return nil, err
	}
	id, prov := qs.Meta.Identity, qs.Meta.Provenance
	es.ModelName, es.DatasetName = prov["model"], prov["dataset"]
	es.NumSamples, _ = strconv.Atoi(id["num_samples"])
	es.SampleSeqLen, _ = strconv.Atoi(id["sample_chars"])
	es.Card = [][2]string{
		{"tool", "qfilters " + version}, {"hub revision", prov["hub_revision"]}, {"hub commit", prov["hub_commit"]},
		{"corpus", prov["corpus"]}, {"corpus sha256", id["corpus_sha256"]},
		{"samples skipped (at most n_sink tokens)", prov["skipped"]},
		{"queries per head", strconv.FormatInt(qs.Count[0], 10)},
		{"model type", id["model_type"]}, {"model config sha256", id["config_sha256"]},
		{"kernel path", prov["kernels"]},
	}
	return es, nil
}

// datasetName names the corpus as kvpress names a dataset: for a file its
// folder and stem (tinystories-sampled/train), for a folder or glob its name.
func datasetName(in *inputs) string {
	if in.embeddedCorpus {
		return "tinystories-sampled"
	}
	p := filepath.Clean(in.corpusPath)
	if abs, err := filepath.Abs(p); err == nil { // a file in "." has a folder too
		p = abs
	}
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return filepath.Base(p)
	}
	parent := filepath.Base(filepath.Dir(p))
	stem := filepath.Base(p)
	for _, ext := range []string{".gz", ".zst", ".zstd"} { // train.jsonl.gz is train
		stem = strings.TrimSuffix(stem, ext)
	}
	stem = strings.TrimSuffix(stem, filepath.Ext(stem))
	switch {
	case strings.ContainsAny(stem, "*?["): // a glob: its folder
		return parent
	case parent == string(filepath.Separator) || parent == ".":
		return stem
	}
	return parent + "/" + stem
}

// statsDocs are the tokenized samples with what identifies them.
type statsDocs struct {
	seqs                    [][]int
	corpusSHA, tokenizerSHA string
}

// statsSamples reads the first opt.NumSamples documents, cuts each to
// opt.SampleChars characters (Unicode code points, as Python slices a str)
// and tokenizes it with special tokens.
//
// A pre-tokenized document (input_ids) is used as it is: its ids stand for
// the cut and tokenized text, and it needs no tokenizer.
func statsSamples(in *inputs, vocab int, opt statsOptions) (*statsDocs, error) {
	var encode func(string) []int
	tokenizerSHA := ""
	r, err := corpus.Open(in.corpusPath, corpus.Options{TextField: opt.TextField})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out := &statsDocs{}
	for len(out.seqs) < opt.NumSamples {
		doc, err := r.Next()
		if errors.Is(err, io.EOF) && len(out.seqs) == 0 {
			return nil, fmt.Errorf("corpus %s has no documents", in.corpusName)
		}
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("corpus %s has %s, fewer than --num-samples %d (lower it to use them all)",
				in.corpusName, count(len(out.seqs), "document", "documents"), opt.NumSamples)
		}
		if err != nil {
			return nil, err
		}
		ids := doc.IDs
		if ids == nil {
			if encode == nil {
				tok, sha, err := loadTokenizer(in.modelDir)
				if err != nil {
					return nil, fmt.Errorf("%s: stats tokenizes text, which needs the model's tokenizer: %w", doc.Source, err)
				}
				encode = func(text string) []int { return tok.Encode(text, true) }
				tokenizerSHA = sha
			}
			ids = encode(cutChars(doc.Text, opt.SampleChars))
		}
		for i, id := range ids {
			if id < 0 || id >= vocab {
				return nil, fmt.Errorf("%s: token id %d at position %d is outside the vocabulary [0, %d)", doc.Source, id, i, vocab)
			}
		}
		out.seqs = append(out.seqs, ids)
	}
	out.corpusSHA, out.tokenizerSHA = r.Identity(), tokenizerSHA
	return out, nil
}

// cutChars returns the first n characters (code points) of text, as Python's
// text[:n] does.
func cutChars(text string, n int) string {
	for i := range text {
		if n == 0 {
			return text[:i]
		}
		n--
	}
	return text
}

// statsModelName is the model_name kvpress records: the model as loaded, a
// hub id whole (org/name), else the checkpoint's folder name.
func statsModelName(arg string, in *inputs) string {
	if arg != "" && in.modelDir != arg {
		return arg
	}
	return modelBaseName(in.modelDir)
}
