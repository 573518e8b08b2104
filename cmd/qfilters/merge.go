package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qfilters/qfilters/calibrate"
	"github.com/qfilters/qfilters/export"
)

func init() { commands = append(commands, newMergeCmd) }

type mergeOptions struct {
	Out, Sign          string
	JSON, Quiet, Force bool
}

func newMergeCmd() *cobra.Command {
	var opt mergeOptions
	cmd := &cobra.Command{
		Use:   "merge FILE... --out DIR",
		Short: "Combine the statistics of calibration shards and write the filters",
		Long: `Merge reads the stats files written by 'qfilters calibrate --shard i/N
--stats-out FILE' (all N shards, in any order), checks that they belong to one
calibration (same model, corpus, settings and sequences), solves the filters
and writes the filter directory. Sampled runs (--samples N) merge to exactly
the filters of an unsharded run, as do runs over every position (--samples
all) with the vote; with --sign mean those merge Gram matrices. Every field
of every file is checked before it is used. Every setting, the sign rule
included, comes from the stats files: --sign only overrides the rule, and
says so.

Files written by 'qfilters stats --shard i/N --stats-out FILE' merge the same
way into an Expected Attention statistics directory. A quoted glob
('shards/*.safetensors') is expanded as --corpus expands one, for shells and
schedulers that pass it as is.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("merge needs at least one stats file")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			if opt.Quiet {
				stderr = io.Discard
			}
			return runMerge(cmd.OutOrStdout(), stderr, args, opt)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.Out, "out", "", "output filter `DIR` (required)")
	f.StringVar(&opt.Sign, "sign", "", "override the sign rule the shards were calibrated with: vote or mean")
	f.BoolVar(&opt.JSON, "json", false, "print a machine-readable summary on stdout")
	f.BoolVar(&opt.Quiet, "quiet", false, quietHelp)
	f.BoolVar(&opt.Force, "force", false, forceHelp)
	return cmd
}

// expandShardArgs expands the arguments that are glob patterns (and name no
// file as they are) into the files they match, in name order; a pattern
// matching nothing is an error.
func expandShardArgs(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		if _, err := os.Stat(a); err == nil || !strings.ContainsAny(a, "*?[") {
			files = append(files, a)
			continue
		}
		matches, err := filepath.Glob(a)
		if err != nil {
			return nil, usageError{fmt.Errorf("%s: bad glob pattern: %v", a, err)}
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("%s: no files match the pattern", a)
		}
		sort.Strings(matches)
		files = append(files, matches...)
	}
	return files, nil
}

func runMerge(stdout, stderr io.Writer, files []string, opt mergeOptions) error {
	start := time.Now()
	if opt.Out == "" {
		return usageError{fmt.Errorf("--out is required")}
	}
	files, err := expandShardArgs(files)
	if err != nil {
		return err
	}
	override := calibrate.SignRule(opt.Sign)
	if opt.Sign != "" && override != calibrate.SignVote && override != calibrate.SignMean {
		return usageError{fmt.Errorf("--sign must be vote or mean, got %q", opt.Sign)}
	}
	if err := checkOutput(opt.Out, opt.Force, true, files...); err != nil {
		return err // before reading shards that may be large
	}
	if calibrate.IsQueryStats(files[0]) {
		if opt.Sign != "" {
			return usageError{fmt.Errorf("--sign is the filters' sign rule, and %s holds Expected Attention statistics (qfilters stats), which have none", files[0])}
		}
		return mergeQueryStats(stdout, stderr, files, opt)
	}
	parts, provs, err := readShards(files, calibrate.ReadStats, func(st *calibrate.Stats) map[string]string { return st.Meta.Provenance })
	if err != nil {
		return err
	}
	merged, err := calibrate.Merge(parts, files)
	if err != nil {
		return err
	}
	merged.Meta.Provenance = withShardsComputedBy(stderr, merged.Meta.Provenance, provs)
	// The rule the shards were run with; stats files written before it was
	// recorded were all run with the default, vote.
	sign := calibrate.SignRule(merged.Meta.Identity["sign"])
	if sign == "" {
		sign = calibrate.SignVote
	}
	if override != "" && override != sign {
		fmt.Fprintf(stderr, "qfilters: --sign %s overrides the sign rule %s the shards were calibrated with\n", override, sign)
		sign = override
	}
	res, err := calibrate.Solve(merged, sign)
	if err != nil {
		return err
	}
	f := filtersOf(res, merged.Meta.Identity, merged.Meta.Provenance, sign, merged.Meta.Seed, merged.Meta.NumSeqs)
	if err := export.WriteWith(opt.Out, f, export.WriteOptions{Force: opt.Force}); err != nil {
		return err
	}
	mean, min := energySummary(export.ComputeFigures(f))
	if opt.JSON {
		return printJSON(stdout, struct {
			jobSummary
			Shards          int     `json:"shards"`
			Layers          int     `json:"layers"`
			KVHeads         int     `json:"kv_heads"`
			HeadDim         int     `json:"head_dim"`
			SamplesPerLayer int     `json:"samples_per_layer"`
			MeanEnergyShare float64 `json:"mean_energy_share"`
			MinEnergyShare  float64 `json:"min_energy_share"`
		}{jobSummary{opt.Out, f.Provenance.Model, f.Provenance.Tokens, time.Since(start).Seconds()},
			len(files), res.Layers, res.KVHeads, res.HeadDim, res.SamplesUsed, mean, min})
	}
	fmt.Fprintf(stdout, "wrote %s from %s: q_filters [%d layers, %d kv heads, %d dims]; query energy on the filter direction: mean %.3f, min %.3f\n",
		opt.Out, count(len(files), "shard", "shards"), res.Layers, res.KVHeads, res.HeadDim, mean, min)
	return nil
}

// mergeQueryStats combines the shards of a qfilters stats run and writes the
// Expected Attention statistics directory.
func mergeQueryStats(stdout, stderr io.Writer, files []string, opt mergeOptions) error {
	start := time.Now()
	parts, provs, err := readShards(files, calibrate.ReadQueryStats, func(st *calibrate.QueryStats) map[string]string { return st.Meta.Provenance })
	if err != nil {
		return err
	}
	merged, err := calibrate.MergeQueryStats(parts, files)
	if err != nil {
		return err
	}
	merged.Meta.Provenance = withShardsComputedBy(stderr, merged.Meta.Provenance, provs)
	es, err := expStatsOf(merged)
	if err != nil {
		return err
	}
	if err := export.WriteExpStats(opt.Out, es, export.WriteOptions{Force: opt.Force}); err != nil {
		return err
	}
	if opt.JSON {
		tokens := int(queriesPerHead(merged)) + merged.Meta.NSink*merged.Meta.NumSeqs // every query, and the sinks before them
		return printJSON(stdout, struct {
			jobSummary
			Shards  int   `json:"shards"`
			Layers  int   `json:"layers"`
			Heads   int   `json:"heads"`
			HeadDim int   `json:"head_dim"`
			Queries int64 `json:"queries_per_head"`
		}{jobSummary{opt.Out, es.ModelName, tokens, time.Since(start).Seconds()},
			len(files), es.Layers, es.Heads, es.HeadDim, queriesPerHead(merged)})
	}
	fmt.Fprintf(stdout, "wrote %s from %s: query_mean [%d, %d, %d], query_cov [%d, %d, %d, %d], %s per head\n",
		opt.Out, count(len(files), "shard", "shards"), es.Layers, es.Heads, es.HeadDim, es.Layers, es.Heads, es.HeadDim, es.HeadDim, count(int(queriesPerHead(merged)), "query", "queries"))
	return nil
}

// readShards reads every shard file with read, and each one's provenance.
func readShards[T any](files []string, read func(string) (T, error), provenance func(T) map[string]string) ([]T, []map[string]string, error) {
	parts := make([]T, len(files))
	provs := make([]map[string]string, len(files))
	for i, f := range files {
		st, err := read(f)
		if err != nil {
			return nil, nil, err
		}
		parts[i], provs[i] = st, provenance(st)
	}
	return parts, provs, nil
}
