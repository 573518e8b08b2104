package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/qfilters/qfilters/corpus"
	"github.com/qfilters/qfilters/eval"
	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/figure"
	"github.com/qfilters/qfilters/model"
)

// evalReport is the --json output.
type evalReport struct {
	jobSummary          // out: the --png figure, if any
	Filters    string   `json:"filters"`
	Corpus     string   `json:"corpus"`
	Sources    []string `json:"sources"`
	SkipDocs   int      `json:"skip_docs"`
	Seed       int64    `json:"seed"`
	*eval.Report
}

// evalJob is eval's steps (runJob runs them): flags in opt, what the steps
// find on the way in the other fields.
type evalJob struct {
	opt evalOptions

	filtersDir string
	filters    *export.Filters
	modelName  string
	corpusName string
	expStats   *export.ExpStats
	seqs       [][]int
	sources    []string
	report     *eval.Report
}

func (j *evalJob) inputFlags() (string, string, string) {
	return j.opt.Model, j.opt.Revision, j.opt.Corpus
}

func (j *evalJob) checkFlags() error {
	opt := j.opt
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
		return usageError{fmt.Errorf("--ppl-seqs must be >= 0, got %d", opt.PPLDocs)}
	}
	// The flags of a view that a negative size skips would be ignored.
	if opt.Stats != "" && opt.Context < 0 {
		return usageError{errors.New("--stats adds expected_attention to the context recall, which a negative --context skips")}
	}
	if opt.cacheSet && opt.CacheSize < 0 {
		switch {
		case opt.Decode:
			return usageError{errors.New("--decode decodes the streaming perplexity, which a negative --cache-size skips")}
		case opt.windowSet:
			return usageError{errors.New("--window shapes the streaming perplexity's cache, which a negative --cache-size skips")}
		}
	}
	return nil
}

// plan applies the defaults of the embedded model and the sequence length,
// checks the cache and context sizes, and reads the filters.
func (j *evalJob) plan(in *inputs) (err error) {
	opt := &j.opt
	if in.embeddedModel {
		if in.embeddedCorpus && !opt.skipSet {
			opt.SkipDocs = heldOutEmbedded
		}
		if !opt.seqLenSet {
			opt.SeqLen = defaultSeqLenEmbedded
		}
	}
	j.modelName, j.corpusName = in.modelName, in.corpusName
	if opt.SeqLen <= 0 {
		return usageError{fmt.Errorf("--seq-len must be positive, got %d", opt.SeqLen)}
	}
	// A query is evaluated when it sees twice the largest ratio of keys
	// (eval.Options.MinKeys): shorter sequences leave none.
	if need := 2 * slices.Max(opt.Ratios); opt.SeqLen < need {
		return usageError{fmt.Errorf("--seq-len %d is shorter than the %d keys a query needs to be evaluated (2 x the largest of --ratios %s): give a longer --seq-len or smaller --ratios",
			opt.SeqLen, need, intsText(opt.Ratios))}
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
	if opt.Context == 0 {
		opt.Context = opt.SeqLen * 3 / 4
	}
	if opt.Context > 0 && (opt.Context < 2 || opt.Context >= opt.SeqLen) {
		return usageError{fmt.Errorf("--context must be between 2 and --seq-len - 1 (%d), got %d", opt.SeqLen-1, opt.Context)}
	}
	j.filtersDir = cmp.Or(opt.Filters, in.baseName+"_qfilt")
	if _, err := os.Stat(j.filtersDir); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if opt.Filters == "" {
				return fmt.Errorf("no filters: %s does not exist (run qfilters calibrate first, or pass --filters DIR)", j.filtersDir)
			}
			return fmt.Errorf("filters directory %s does not exist", j.filtersDir)
		}
		return err
	}
	j.filters, err = export.Read(j.filtersDir)
	return err
}

// prepare checks the filters and statistics fit the model and selects the
// held-out sequences.
func (j *evalJob) prepare(in *inputs, m *model.Model) (err error) {
	opt := &j.opt
	if err := eval.CheckShape(m.Config, j.filters); err != nil {
		return fmt.Errorf("%s does not fit %s: %w", j.filtersDir, j.modelName, err)
	}
	if p := j.filters.Provenance; p != nil && p.ConfigSHA256 != "" && m.Config.SHA256 != "" && p.ConfigSHA256 != m.Config.SHA256 {
		fmt.Fprintf(opt.stderr, "qfilters: warning: %s was calibrated on %s, whose config.json differs from this model's\n", j.filtersDir, orDash(p.Model))
	}
	if opt.Stats != "" {
		if j.expStats, err = export.ReadExpStats(opt.Stats); err != nil {
			return err // names the directory
		}
		if err := eval.CheckExpStats(m.Config, j.expStats); err != nil {
			return fmt.Errorf("--stats %s does not fit %s: %w", opt.Stats, j.modelName, err)
		}
	}
	var note string
	opt.SkipDocs, note = heldOut(j.filtersDir, j.filters.Provenance, in.corpusPath, in.corpusName, *opt, in.embeddedCorpus)
	j.seqs, j.sources, err = heldOutSequences(in.modelDir, in.corpusPath, m.Config.Vocab, *opt)
	if err != nil {
		return err // alone on stderr: it says what was skipped
	}
	if note != "" && (!opt.Quiet || strings.HasPrefix(note, "warning: ")) { // --quiet keeps warnings
		fmt.Fprintf(opt.stderr, "qfilters: %s\n", note)
	}
	warnPastContext(opt.stderr, opt.SeqLen, m.Config.MaxPositions)
	if in.corpusName != in.corpusPath { // embedded: name the line, not the temporary file
		for i, s := range j.sources {
			j.sources[i] = in.corpusName + strings.TrimPrefix(s, in.corpusPath)
		}
	}
	return nil
}

// outputs: eval writes only its figure, which it replaces as --png always
// has (a figure is not something a user keeps by that name by accident).
func (j *evalJob) outputs() ([]jobOutput, bool) { return nil, false }

func (j *evalJob) run(ctx context.Context, m *model.Model) (err error) {
	opt := j.opt
	cfg := eval.Config{
		Options: eval.Options{Ratios: opt.Ratios},
		Seed:    uint64(opt.Seed), CacheSize: max(opt.CacheSize, 0), Window: opt.Window, PPLSeqs: opt.PPLDocs,
		Context: ctx, ContextLen: max(opt.Context, 0), ExpStats: j.expStats, Decode: opt.Decode,
	}
	if opt.progress {
		pplSeqs := len(j.seqs)
		if opt.PPLDocs > 0 {
			pplSeqs = min(pplSeqs, opt.PPLDocs)
		}
		p := newEvalProgress(opt.stderr, float64(len(j.seqs)*opt.SeqLen), float64(pplSeqs*opt.SeqLen*len(eval.PPLMethods)))
		cfg.Progress = p.update
		defer p.finish()
	}
	j.report, err = eval.Run(m, j.filters, j.seqs, cfg)
	return err
}

func (j *evalJob) write(*inputs) error {
	if j.opt.PNG == "" {
		return nil
	}
	if err := eval.Figure(j.report, j.modelName, j.corpusName).Save(j.opt.PNG); err != nil {
		return fmt.Errorf("writing %s: %w", j.opt.PNG, err)
	}
	return nil
}

func (j *evalJob) summary(seconds float64) any { return j.evalReport(seconds) }

func (j *evalJob) evalReport(seconds float64) evalReport {
	return evalReport{
		jobSummary: jobSummary{Out: j.opt.PNG, Model: j.modelName, Tokens: len(j.seqs) * j.opt.SeqLen, Seconds: seconds},
		Filters:    j.filtersDir, Corpus: j.corpusName, Sources: j.sources, SkipDocs: j.opt.SkipDocs, Seed: j.opt.Seed,
		Report: j.report,
	}
}

func (j *evalJob) print(w io.Writer, seconds float64) error {
	_, err := io.WriteString(w, formatEval(j.evalReport(seconds)))
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

// intsText writes ints as a flag takes them: 2,4,8.
func intsText(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}
