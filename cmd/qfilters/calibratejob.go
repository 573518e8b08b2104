package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/qfilters/qfilters/calibrate"
	"github.com/qfilters/qfilters/corpus"
	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/kernels"
	"github.com/qfilters/qfilters/model"
)

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

// calibrateJob is calibrate's steps (runJob runs them): flags in opt, what
// the steps find on the way in the other fields.
type calibrateJob struct {
	opt calibrateOptions

	samples              int
	sign                 calibrate.SignRule
	shard                shardSpec
	everyLayers          int
	everyInterval        time.Duration
	out, checkpointDir   string
	modelName            string
	modelDir, corpusPath string // what the sequences were selected from
	cfg                  *model.Config
	sel                  *selected
	identity, provenance map[string]string
	first, end           int // the sequences of this shard
	workingSet           int64
	res                  *calibrate.Result
	filters              *export.Filters // res as written
	stats                *calibrate.Stats
	qstats               *calibrate.QueryStats
	until                *untilSummary
	checkpoints          int
	checkpointTime       time.Duration
	alreadyComplete      bool
}

func (j *calibrateJob) inputFlags() (string, string, string) {
	return j.opt.Model, j.opt.Revision, j.opt.Corpus
}

func (j *calibrateJob) checkFlags() (err error) {
	opt := j.opt
	if opt.everySet && !opt.Resume {
		return usageError{errors.New("--checkpoint-every needs --resume: without it no checkpoint is written")}
	}
	if j.samples, err = parseSamples(opt.Samples); err != nil {
		return usageError{err}
	}
	j.sign = calibrate.SignRule(opt.Sign)
	if j.sign != calibrate.SignVote && j.sign != calibrate.SignMean {
		return usageError{fmt.Errorf("--sign must be vote or mean, got %q", opt.Sign)}
	}
	if opt.SeqLen <= 0 {
		return usageError{fmt.Errorf("--seq-len must be positive, got %d", opt.SeqLen)}
	}
	if opt.NumSeqs <= 0 {
		return usageError{fmt.Errorf("--num-seqs must be positive, got %d", opt.NumSeqs)}
	}
	if j.shard, err = shardFlag(opt.Shard, opt.Quiet, opt.stderr); err != nil {
		return err
	}
	if err := checkUntilStable(opt); err != nil {
		return err
	}
	if j.shard.Count > 1 && opt.StatsOut == "" {
		return usageError{errors.New("--shard needs --stats-out: each shard writes statistics that `qfilters merge` combines")}
	}
	if opt.StatsOut != "" && opt.Out != "" {
		return usageError{errors.New("--stats-out and --out exclude each other: filters come from `qfilters merge`")}
	}
	if opt.AlsoStats != "" && opt.StatsOut != "" {
		return usageError{errors.New("--also-stats and --stats-out exclude each other: shard the statistics with qfilters stats --shard")}
	}
	if j.everyLayers, j.everyInterval, err = parseCheckpointEvery(opt.CheckpointEvery); err != nil {
		return usageError{err}
	}
	return nil
}

func (j *calibrateJob) plan(in *inputs) error {
	if in.embeddedModel && !j.opt.seqLenSet {
		j.opt.SeqLen = defaultSeqLenEmbedded
	}
	j.modelName = in.modelName
	// The target: the filter directory, or with --stats-out a stats file.
	switch {
	case j.opt.StatsOut != "":
		j.out = j.opt.StatsOut
	case j.opt.Out != "":
		j.out = j.opt.Out
	default:
		j.out = in.baseName + "_qfilt"
	}
	if j.opt.Resume {
		j.checkpointDir = j.out + ".resume"
	}
	return checkAlsoStats(j.opt, j.out)
}

func (j *calibrateJob) prepare(in *inputs, m *model.Model) error {
	opt := j.opt
	if err := m.SetPrecision(opt.Precision); err != nil {
		return usageError{err}
	}
	if opt.Precision == "bf16" && !kernels.NativeBF16() {
		fmt.Fprintf(opt.stderr, "qfilters: --precision bf16: this CPU has no native bf16 dot product (kernels %s); "+
			"the products run as f32 arithmetic on bf16-rounded operands (the same results, a little slower than --precision f32)\n",
			kernels.CurrentPath())
	}
	j.cfg, j.modelDir, j.corpusPath = m.Config, in.modelDir, in.corpusPath
	weightsSHA, err := model.WeightsIdentity(m.Weights())
	if err != nil {
		return err
	}
	if j.sel, err = selectSequences(in.modelDir, in.corpusPath, j.cfg.Vocab, opt); err != nil {
		return err
	}
	if opt.StatsOut != "" { // what Collect would refuse, refused before the output check and the run
		if err := calibrate.CheckCollect(j.cfg, j.sel.Seqs, calibrate.Options{
			Samples: j.samples, Sign: j.sign, Shard: j.shard.Index, Shards: j.shard.Count,
		}); err != nil {
			return err
		}
	}
	// A run is identified by content: shards and resumed runs agree only
	// when these do, wherever each worker finds its files. Paths are
	// provenance, never compared.
	j.identity = map[string]string{
		"model_type": j.cfg.ReportedType(), "config_sha256": j.cfg.SHA256, "weights_sha256": weightsSHA,
		"corpus_sha256": j.sel.corpusSHA, "text_field": opt.TextField,
		"seq_len": strconv.Itoa(opt.SeqLen), "samples": opt.Samples, "precision": opt.Precision,
		"sign": string(j.sign), // merge solves with it
	}
	if j.sel.tokenizerSHA != "" {
		j.identity["tokenizer_sha256"] = j.sel.tokenizerSHA
	}
	if opt.AlsoStats != "" {
		j.identity["also_stats_n_sink"] = strconv.Itoa(alsoStatsSinks)
	}
	j.provenance = computedBy(map[string]string{
		"model": in.modelName, "corpus": in.corpusName,
		"corpus_docs": strconv.Itoa(j.sel.DocsSeen), "corpus_files": j.sel.files,
		"hub_revision": in.hubRevision, "hub_commit": in.hubCommit,
	})
	return nil
}

func (j *calibrateJob) outputs() ([]jobOutput, bool) {
	outs := []jobOutput{{j.out, j.opt.StatsOut == ""}}
	if j.opt.AlsoStats != "" {
		outs = append(outs, jobOutput{j.opt.AlsoStats, true})
	}
	return outs, j.opt.Force
}

// finished: with --resume, outputs already there may be this very run's
// (a re-submitted job): then there is nothing to do; another run's are
// refused.
func (j *calibrateJob) finished(in *inputs) (bool, error) {
	opt := j.opt
	if !opt.Resume || opt.Force || !exists(j.out) || (opt.AlsoStats != "" && !exists(opt.AlsoStats)) {
		return false, nil
	}
	k := runKey{j.identity, opt.Seed, len(j.sel.Seqs), j.shard.Index, j.shard.Count}
	diff, err := finishedDiff(j.out, opt.StatsOut != "", k)
	if err != nil {
		return false, fmt.Errorf("output %s already exists and is not a finished run to resume (%v): use --force to replace it, or another --out", j.out, err)
	}
	if diff != "" {
		return false, fmt.Errorf("output %s already exists and holds another run (%s): use --force to replace it, or another --out", j.out, diff)
	}
	if opt.AlsoStats != "" {
		if err := j.alsoStatsFinished(in); err != nil {
			return false, err
		}
	}
	j.alreadyComplete = true
	return true, nil
}

// alsoStatsFinished checks that the --also-stats directory holds the
// statistics writeAlsoStats writes for this run, as far as its config.json
// and shapes say: the filters being complete says nothing of it.
func (j *calibrateJob) alsoStatsFinished(in *inputs) error {
	dir := j.opt.AlsoStats
	es, err := export.ReadExpStats(dir)
	if err != nil {
		return fmt.Errorf("--also-stats %s already exists and is not a finished run's statistics (%v): use --force to replace it, or another directory", dir, err)
	}
	for _, f := range []struct {
		name      string
		has, want any
	}{
		{"model_name", es.ModelName, statsModelName(j.opt.Model, in)},
		{"dataset_name", es.DatasetName, datasetName(in)},
		{"num_samples", es.NumSamples, len(j.sel.Seqs)},
		{"sample_seq_len", es.SampleSeqLen, j.opt.SeqLen},
		{"n_sink", es.NSink, alsoStatsSinks},
		{"num_layers", es.Layers, j.cfg.Layers},
		{"num_heads", es.Heads, j.cfg.Heads},
		{"head_dim", es.HeadDim, j.cfg.MaxHeadDim()},
	} {
		if f.has != f.want {
			return fmt.Errorf("--also-stats %s already exists and holds other statistics (%s %v, this run's %v): use --force to replace it, or another directory", dir, f.name, f.has, f.want)
		}
	}
	return nil
}

func (j *calibrateJob) interruptedNote() string {
	switch {
	case j.checkpointDir == "":
		return ""
	case !exists(j.checkpointDir): // stopped before the first checkpoint
		return "no checkpoint had been written yet"
	}
	return fmt.Sprintf("progress is saved in %s, rerun with --resume to continue", j.checkpointDir)
}

func (j *calibrateJob) run(ctx context.Context, m *model.Model) (err error) {
	opt, cfg := j.opt, j.cfg
	warnDegenerate(opt.stderr, len(j.sel.Seqs), opt.SeqLen, j.samples, cfg.HeadDim)
	warnPastContext(opt.stderr, opt.SeqLen, cfg.MaxPositions)
	n := len(j.sel.Seqs)
	j.first, j.end = j.shard.Index*n/j.shard.Count, (j.shard.Index+1)*n/j.shard.Count
	w, h, a := cfg.WorkingSet(j.end-j.first, opt.SeqLen)
	j.workingSet = w + h + a
	if opt.progress {
		fmt.Fprintf(opt.stderr, "working set: ~%s (two layers' weights %s, hidden states %s, activations %s)\n",
			mib(j.workingSet), mib(w), mib(h), mib(a))
	}
	bar := newProgress(opt.stderr, opt.progress, cfg.Layers, j.end-j.first, opt.SeqLen)
	defer bar.finish()
	copt := calibrate.Options{
		Samples: j.samples, Seed: opt.Seed, Sign: j.sign, Shard: j.shard.Index, Shards: j.shard.Count,
		CheckpointDir: j.checkpointDir, CheckpointLayers: j.everyLayers, CheckpointInterval: j.everyInterval,
		Checkpointed: func(_ int, took time.Duration) {
			j.checkpoints++
			j.checkpointTime += took
		},
		Identity: j.identity, Provenance: j.provenance,
		Progress: bar.step, Context: ctx,
		Resumed: func(layer int) {
			if !opt.Quiet {
				fmt.Fprintf(opt.stderr, "resuming from layer %d/%d (checkpoint %s)\n", layer+1, cfg.Layers, j.checkpointDir)
			}
		},
	}
	switch {
	case opt.untilSet:
		return j.runUntilStable(m, copt)
	case opt.StatsOut != "":
		j.stats, err = calibrate.Collect(m, j.sel.Seqs, copt)
	case opt.AlsoStats != "":
		j.res, j.qstats, err = calibrate.RunWithQueryStats(m, j.sel.Seqs, alsoStatsSinks, copt)
	default:
		j.res, err = calibrate.Run(m, j.sel.Seqs, copt)
	}
	return err
}

// runUntilStable runs in rounds, then records the selection of the
// sequences it stopped at, as --num-seqs N would have.
func (j *calibrateJob) runUntilStable(m *model.Model, copt calibrate.Options) (err error) {
	if j.res, j.until, err = runUntilStable(m, j.sel.Seqs, copt, j.opt); err != nil {
		return err
	}
	// corpusPath and modelDir are those prepare selected from.
	if j.sel, err = untilSelection(j.modelDir, j.corpusPath, j.cfg.Vocab, j.opt, j.sel, j.until.Sequences); err != nil {
		return err
	}
	j.provenance["corpus_docs"], j.provenance["corpus_files"] = strconv.Itoa(j.sel.DocsSeen), j.sel.files
	j.identity["corpus_sha256"] = j.sel.corpusSHA
	j.end = len(j.sel.Seqs)
	return nil
}

func (j *calibrateJob) write(in *inputs) error {
	if j.stats != nil {
		if err := os.MkdirAll(filepath.Dir(j.out), 0o755); err != nil {
			return err
		}
		if err := calibrate.WriteStats(j.out, j.stats); err != nil {
			return err
		}
	} else {
		j.filters = filtersOf(j.res, j.identity, j.provenance, j.sign, j.opt.Seed, len(j.sel.Seqs))
		_, statErr := os.Lstat(j.out)
		if err := export.WriteWith(j.out, j.filters, export.WriteOptions{Force: j.opt.Force}); err != nil {
			return err
		}
		if j.qstats != nil {
			if err := writeAlsoStats(j.opt, in, j.qstats, len(j.sel.Seqs)); err != nil {
				if statErr != nil { // the filters are new: a failed run leaves nothing
					os.RemoveAll(j.out)
				}
				return err
			}
		}
	}
	if j.checkpointDir != "" {
		os.RemoveAll(j.checkpointDir)
	}
	return nil
}

func (j *calibrateJob) summary(seconds float64) any {
	if j.alreadyComplete {
		return struct {
			jobSummary
			AlreadyComplete bool `json:"already_complete"`
		}{jobSummary{Out: j.out, Model: j.modelName}, true}
	}
	return j.calibrateSummary(seconds)
}

func (j *calibrateJob) calibrateSummary(seconds float64) calibrateSummary {
	cfg := j.cfg
	tokens := (j.end - j.first) * j.opt.SeqLen
	sum := calibrateSummary{
		jobSummary: jobSummary{Out: j.out, Model: j.modelName, Tokens: tokens, Seconds: seconds},
		ModelType:  cfg.ReportedType(),
		Layers:     cfg.Layers, KVHeads: cfg.MaxKVHeads(), Heads: cfg.Heads, HeadDim: cfg.MaxHeadDim(),
		Sequences: j.end - j.first, SeqLen: j.opt.SeqLen,
		TokensPerSecond: float64(tokens) / seconds,
		WorkingSetBytes: j.workingSet,
		Checkpoints:     j.checkpoints, CheckpointSeconds: j.checkpointTime.Seconds(),
		UntilStable: j.until,
	}
	if j.opt.Shard != "" {
		sum.Shard = j.shard.String()
	}
	if j.filters != nil {
		sum.SamplesPerLayer = j.res.SamplesUsed
		sum.MeanEnergyShare, sum.MinEnergyShare = energySummary(export.ComputeFigures(j.filters))
	}
	return sum
}

func (j *calibrateJob) print(w io.Writer, seconds float64) error {
	if j.alreadyComplete {
		_, err := fmt.Fprintf(w, "%s is already complete: it holds this run's result (same inputs and settings); nothing to do\n", j.out)
		return err
	}
	sum := j.calibrateSummary(seconds)
	if j.stats != nil {
		_, err := fmt.Fprintf(w, "wrote %s: statistics of shard %s (%d x %d tokens) in %.1fs (%.0f tokens/s, working set ~%s); combine all shards with qfilters merge\n",
			j.out, j.shard, sum.Sequences, sum.SeqLen, sum.Seconds, sum.TokensPerSecond, mib(j.workingSet))
		return err
	}
	fmt.Fprintf(w, "wrote %s: q_filters [%d layers, %d kv heads, %d dims] from %d x %d tokens in %.1fs (%.0f tokens/s, working set ~%s); query energy on the filter direction: mean %.3f, min %.3f\n",
		j.out, sum.Layers, sum.KVHeads, sum.HeadDim, sum.Sequences, sum.SeqLen, sum.Seconds, sum.TokensPerSecond, mib(j.workingSet), sum.MeanEnergyShare, sum.MinEnergyShare)
	printStability(w, j.res)
	if j.until != nil {
		printUntil(w, j.until)
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
