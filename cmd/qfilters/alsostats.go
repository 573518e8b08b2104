package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/qfilters/qfilters/calibrate"
	"github.com/qfilters/qfilters/export"
)

// alsoStatsSinks is --n-sink of calibrate --also-stats: kvpress's default.
const alsoStatsSinks = 4

// checkAlsoStats refuses --also-stats where it cannot apply, before any work.
func checkAlsoStats(opt calibrateOptions) error {
	if opt.AlsoStats == "" {
		return nil
	}
	if opt.StatsOut != "" {
		return usageError{errors.New("--also-stats and --stats-out exclude each other: shard the statistics with qfilters stats --shard")}
	}
	// Each sequence's first alsoStatsSinks tokens are left out; a covariance
	// needs two queries. Refused now: after the run the filters are written.
	if queries := opt.NumSeqs * max(opt.SeqLen-alsoStatsSinks, 0); queries < 2 {
		return usageError{fmt.Errorf("--also-stats: --seq-len %d over --num-seqs %d leaves %d queries per head once the first %d tokens of each sequence are left out (n_sink), and a covariance needs 2: give --seq-len %d or more",
			opt.SeqLen, opt.NumSeqs, queries, alsoStatsSinks, alsoStatsSinks+(2+opt.NumSeqs-1)/opt.NumSeqs)}
	}
	if !opt.Force {
		if _, err := os.Lstat(opt.AlsoStats); err == nil {
			return fmt.Errorf("output %s already exists (use --force to replace it)", opt.AlsoStats)
		}
	}
	return nil
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
