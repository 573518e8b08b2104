package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/qfilters/qfilters/calibrate"
	"github.com/qfilters/qfilters/export"
)

// alsoStatsSinks is --n-sink of calibrate --also-stats: kvpress's default.
const alsoStatsSinks = 4

// checkAlsoStats refuses --also-stats where it cannot apply, before any work:
// the statistics are written after the filters (to out), so anything that
// would fail them then would leave the filters behind. (runJob checks the
// directory itself as it checks every output.)
func checkAlsoStats(opt calibrateOptions, out string) error {
	if opt.AlsoStats == "" {
		return nil
	}
	// Each sequence's first alsoStatsSinks tokens are left out; a covariance
	// needs two queries. Refused now: after the run the filters are written.
	if queries := opt.NumSeqs * max(opt.SeqLen-alsoStatsSinks, 0); queries < 2 {
		return usageError{fmt.Errorf("--also-stats: --seq-len %d over --num-seqs %d leaves %s per head once the first %d tokens of each sequence are left out (n_sink), and a covariance needs 2: give --seq-len %d or more",
			opt.SeqLen, opt.NumSeqs, count(queries, "query", "queries"), alsoStatsSinks, alsoStatsSinks+(2+opt.NumSeqs-1)/opt.NumSeqs)}
	}
	if within(opt.AlsoStats, out) || within(out, opt.AlsoStats) {
		return usageError{fmt.Errorf("--also-stats %s and the filters' output %s overlap: give each a directory of its own", opt.AlsoStats, out)}
	}
	return nil
}

// within reports whether path is dir or lies inside it (lexically, after
// making both absolute).
func within(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// writeAlsoStats writes the statistics gathered alongside calibration: over
// the calibration sequences (numSeqs of --seq-len tokens), not documents cut
// to characters as qfilters stats takes them.
func writeAlsoStats(opt calibrateOptions, in *inputs, qs *calibrate.QueryStats, numSeqs int) error {
	es, err := expStatsOf(qs)
	if err != nil {
		return err
	}
	es.ModelName = statsModelName(opt.Model, in)
	es.DatasetName = datasetName(in)
	es.NumSamples, es.SampleSeqLen = numSeqs, opt.SeqLen
	es.Samples = fmt.Sprintf("the %d calibration sequences of %d tokens (qfilters calibrate --also-stats; sample_seq_len counts tokens here)", numSeqs, opt.SeqLen)
	return export.WriteExpStats(opt.AlsoStats, es, export.WriteOptions{Force: opt.Force})
}
