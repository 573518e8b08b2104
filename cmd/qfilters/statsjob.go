package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/qfilters/qfilters/calibrate"
	"github.com/qfilters/qfilters/corpus"
	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/model"
)

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

// statsJob is stats's steps (runJob runs them): flags in opt, what the
// steps find on the way in the other fields.
type statsJob struct {
	opt statsOptions

	shard              shardSpec
	modelName, dataset string
	out                string
	cfg                *model.Config
	seqs               [][]int // the samples with a query left after the sinks
	skipped            int     // samples without
	identity, prov     map[string]string
	first, end         int // the samples of this shard
	qs                 *calibrate.QueryStats
}

func (j *statsJob) inputFlags() (string, string, string) {
	return j.opt.Model, j.opt.Revision, j.opt.Corpus
}

func (j *statsJob) checkFlags() (err error) {
	opt := j.opt
	if opt.SampleChars <= 0 {
		return usageError{fmt.Errorf("--sample-chars must be positive, got %d", opt.SampleChars)}
	}
	if opt.NSink < 0 {
		return usageError{fmt.Errorf("--n-sink must be >= 0, got %d", opt.NSink)}
	}
	if j.shard, err = shardFlag(opt.Shard, opt.Quiet, opt.stderr); err != nil {
		return err
	}
	if j.shard.Count > 1 && opt.StatsOut == "" {
		return usageError{errors.New("--shard needs --stats-out: each shard writes sums that `qfilters merge` combines")}
	}
	if opt.StatsOut != "" && opt.Out != "" {
		return usageError{errors.New("--stats-out and --out exclude each other: the directory comes from `qfilters merge`")}
	}
	return nil
}

func (j *statsJob) plan(in *inputs) error {
	if in.embeddedCorpus && !j.opt.samplesSet {
		j.opt.NumSamples = statsSamplesEmbedded
	}
	if j.opt.NumSamples <= 0 {
		return usageError{fmt.Errorf("--num-samples must be positive, got %d", j.opt.NumSamples)}
	}
	j.modelName = statsModelName(j.opt.Model, in)
	j.dataset = j.opt.Dataset
	if j.dataset == "" {
		j.dataset = datasetName(in)
	}
	j.out = cmp.Or(j.opt.StatsOut, j.opt.Out)
	if j.out == "" {
		j.out = export.StatsDirName(j.modelName, j.dataset, j.opt.NumSamples, j.opt.SampleChars, j.opt.NSink)
	}
	return nil
}

func (j *statsJob) prepare(in *inputs, m *model.Model) error {
	opt := j.opt
	j.cfg = m.Config
	weightsSHA, err := model.WeightsIdentity(m.Weights())
	if err != nil {
		return err
	}
	docs, err := statsSamples(in, j.cfg.Vocab, opt)
	if err != nil {
		return err
	}
	// Documents no longer than the sinks have no query left: skipped, said.
	for _, ids := range docs.seqs {
		if len(ids) > opt.NSink {
			j.seqs = append(j.seqs, ids)
		}
	}
	j.skipped = len(docs.seqs) - len(j.seqs)
	queries := 0
	for _, ids := range j.seqs {
		queries += len(ids) - opt.NSink
	}
	if queries < 2 {
		return fmt.Errorf("--n-sink %d leaves %s per head (%d of the %s are at most %s long): a covariance needs 2",
			opt.NSink, count(queries, "query", "queries"), j.skipped, count(len(docs.seqs), "sample", "samples"), count(opt.NSink, "token", "tokens"))
	}
	if j.shard.Count > len(j.seqs) {
		return fmt.Errorf("--shard %s: %d shards for %s, every shard needs one", opt.Shard, j.shard.Count, count(len(j.seqs), "sample", "samples"))
	}
	j.identity = map[string]string{
		"model_type": j.cfg.ModelType, "config_sha256": j.cfg.SHA256, "weights_sha256": weightsSHA,
		"corpus_sha256": docs.corpusSHA, "tokenizer_sha256": docs.tokenizerSHA, "text_field": opt.TextField,
		"num_samples": strconv.Itoa(opt.NumSamples), "sample_chars": strconv.Itoa(opt.SampleChars),
	}
	j.prov = computedBy(map[string]string{"model": j.modelName, "dataset": j.dataset, "corpus": in.corpusName, "skipped": strconv.Itoa(j.skipped),
		"hub_revision": in.hubRevision, "hub_commit": in.hubCommit})
	return nil
}

func (j *statsJob) outputs() ([]jobOutput, bool) {
	return []jobOutput{{j.out, j.opt.StatsOut == ""}}, j.opt.Force
}

func (j *statsJob) run(ctx context.Context, m *model.Model) (err error) {
	opt := j.opt
	if j.skipped > 0 && !opt.Quiet {
		fmt.Fprintf(opt.stderr, "qfilters: skipped %d of %s: at most %s long, nothing left after --n-sink %d\n",
			j.skipped, count(len(j.seqs)+j.skipped, "sample", "samples"), count(opt.NSink, "token", "tokens"), opt.NSink)
	}
	n := len(j.seqs)
	j.first, j.end = j.shard.Index*n/j.shard.Count, (j.shard.Index+1)*n/j.shard.Count
	meanLen := 0
	for _, s := range j.seqs[j.first:j.end] {
		meanLen += len(s)
	}
	bar := newProgress(opt.stderr, opt.progress, j.cfg.Layers, j.end-j.first, meanLen/max(j.end-j.first, 1))
	defer bar.finish()
	j.qs, err = calibrate.CollectQueryStats(m, j.seqs, opt.NSink, calibrate.Options{
		Shard: j.shard.Index, Shards: j.shard.Count, Identity: j.identity, Provenance: j.prov,
		Progress: bar.step, Context: ctx,
	})
	return err
}

func (j *statsJob) write(*inputs) error {
	if j.opt.StatsOut != "" {
		if err := os.MkdirAll(filepath.Dir(j.out), 0o755); err != nil {
			return err
		}
		return calibrate.WriteQueryStats(j.out, j.qs)
	}
	es, err := expStatsOf(j.qs)
	if err != nil {
		return err
	}
	return export.WriteExpStats(j.out, es, export.WriteOptions{Force: j.opt.Force})
}

func (j *statsJob) summary(seconds float64) any { return j.statsSummary(seconds) }

func (j *statsJob) statsSummary(seconds float64) statsSummary {
	queries, meta := queriesPerHead(j.qs), j.qs.Meta
	sum := statsSummary{
		jobSummary: jobSummary{Out: j.out, Model: j.modelName, Tokens: int(queries) + j.opt.NSink*(j.end-j.first), Seconds: seconds},
		Dataset:    j.dataset, Layers: meta.Layers, Heads: meta.Heads, HeadDim: meta.HeadDim, // as the file holds them
		NumSamples: j.opt.NumSamples, Skipped: j.skipped, Queries: queries,
	}
	if j.opt.StatsOut != "" {
		sum.Shard = j.shard.String()
	}
	return sum
}

func (j *statsJob) print(w io.Writer, seconds float64) error {
	sum := j.statsSummary(seconds)
	queries := count(int(sum.Queries), "query", "queries")
	if j.opt.StatsOut != "" {
		// A shard holds sums of its own samples, not the statistics.
		_, err := fmt.Fprintf(w, "wrote %s: sums of shard %s (%d of %s), %s per head, %.1fs; combine all shards with qfilters merge\n",
			j.out, sum.Shard, j.end-j.first, count(len(j.seqs), "sample", "samples"), queries, sum.Seconds)
		return err
	}
	_, err := fmt.Fprintf(w, "wrote %s: query_mean [%d, %d, %d], query_cov [%d, %d, %d, %d] from %s (%d skipped), %s per head, %.1fs\n",
		j.out, sum.Layers, sum.Heads, sum.HeadDim, sum.Layers, sum.Heads, sum.HeadDim, sum.HeadDim,
		count(len(j.seqs), "sample", "samples"), j.skipped, queries, sum.Seconds)
	return err
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
		{"queries per head", strconv.FormatInt(queriesPerHead(qs), 10)},
		{"model type", id["model_type"]}, {"model config sha256", id["config_sha256"]},
		{"kernel path", prov["kernels"]},
	}
	return es, nil
}

// queriesPerHead is the number of queries each head's statistics hold: the
// same in every layer with a KV cache, none in the others (linear
// attention, which may come first: Qwen3-Next's layer 0).
func queriesPerHead(qs *calibrate.QueryStats) int64 {
	n := int64(0)
	for _, c := range qs.Count {
		n = max(n, c)
	}
	return n
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
