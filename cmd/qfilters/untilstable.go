package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/qfilters/qfilters/calibrate"
	"github.com/qfilters/qfilters/model"
)

// untilSummary is --until-stable's part of the --json summary.
type untilSummary struct {
	Threshold float64 `json:"threshold"`
	Sequences int     `json:"sequences"`
	Tokens    int     `json:"tokens"`
	// Stopped is "stable" (every head reached the threshold) or
	// "num-seqs" (--num-seqs was reached first).
	Stopped      string       `json:"stopped"`
	MinStability *float64     `json:"min_stability"` // null when not measurable (one sequence)
	MinAt        string       `json:"min_at,omitempty"`
	Rounds       []untilRound `json:"rounds"`
}

type untilRound struct {
	Sequences    int      `json:"sequences"`
	MinStability *float64 `json:"min_stability"`
}

// checkUntilStable refuses --until-stable where it cannot work.
func checkUntilStable(opt calibrateOptions) error {
	if !opt.untilSet {
		return nil
	}
	c := opt.UntilStable
	switch {
	case math.IsNaN(c) || c <= 0 || c > 1:
		return usageError{fmt.Errorf("--until-stable must be a cosine in (0, 1], e.g. 0.999, got %v", c)}
	case opt.Shard == "" && opt.StatsOut != "":
		return usageError{errors.New("--until-stable writes filters, not --stats-out statistics: it needs every sequence so far after each round; run it unsharded, then shard with --num-seqs N")}
	case opt.Shard != "":
		return usageError{errors.New("--until-stable cannot run sharded: it decides after each round, from every sequence so far, whether to add more, and a shard sees only its own; run it unsharded to find N, then shard with --num-seqs N")}
	case opt.AlsoStats != "":
		return usageError{errors.New("--until-stable and --also-stats exclude each other: the query statistics would need every round's queries again; run --until-stable, then calibrate --num-seqs N --also-stats DIR")}
	}
	return nil
}

// runUntilStable calibrates in rounds until stable (calibrate.RunUntilStable),
// telling each round on stderr unless quiet.
func runUntilStable(m *model.Model, seqs [][]int, copt calibrate.Options, opt calibrateOptions) (*calibrate.Result, *untilSummary, error) {
	sum := &untilSummary{Threshold: opt.UntilStable, Rounds: []untilRound{}}
	res, last, err := calibrate.RunUntilStable(m, seqs, copt, opt.UntilStable, func(r calibrate.Round) {
		sum.Rounds = append(sum.Rounds, untilRound{r.Sequences, stabPtr(r.MinStability)})
		if opt.Quiet || opt.JSON {
			return
		}
		next := "stable"
		if !r.Stable {
			next = "adding sequences"
			if r.Last {
				next = "--num-seqs reached"
			}
		}
		fmt.Fprintf(opt.stderr, "until-stable %g: %s (%d tokens): min stability %s: %s\n",
			opt.UntilStable, count(r.Sequences, "sequence", "sequences"), r.Tokens, minStability(r), next)
	})
	if err != nil {
		return nil, nil, err
	}
	sum.Sequences, sum.Tokens, sum.MinStability = last.Sequences, last.Tokens, stabPtr(last.MinStability)
	sum.Stopped = "num-seqs"
	if last.Stable {
		sum.Stopped = "stable"
	}
	if !math.IsNaN(last.MinStability) {
		sum.MinAt = fmt.Sprintf("%s L%d H%d", last.Level, last.Layer, last.Head)
	}
	return res, sum, nil
}

func stabPtr(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

func minStability(r calibrate.Round) string {
	if math.IsNaN(r.MinStability) {
		return "not measurable (one sequence)"
	}
	return fmt.Sprintf("%.5f at %s L%d H%d", r.MinStability, r.Level, r.Layer, r.Head)
}

// untilSelection re-selects the first n sequences, so that the provenance
// (documents and files read, corpus hash) is what --num-seqs n records.
func untilSelection(modelDir, corpusPath string, vocab int, opt calibrateOptions, all *selected, n int) (*selected, error) {
	if n == len(all.Seqs) {
		return all, nil
	}
	opt.NumSeqs = n
	sel, err := selectSequences(modelDir, corpusPath, vocab, opt)
	if err != nil {
		return nil, err
	}
	if len(sel.Seqs) != n || !slices.EqualFunc(sel.Seqs, all.Seqs[:n], slices.Equal) {
		return nil, fmt.Errorf("the corpus changed during calibration: its first %d sequences differ on a second read", n)
	}
	return sel, nil
}

// printUntil says how many sequences --until-stable used and why it stopped.
func printUntil(w io.Writer, u *untilSummary) {
	min := "not measurable (one sequence)"
	if u.MinStability != nil {
		min = fmt.Sprintf("%.5f at %s", *u.MinStability, u.MinAt)
	}
	if u.Stopped == "stable" {
		fmt.Fprintf(w, "until-stable %g: stopped at %s (%d tokens): every head's stability >= %g (min %s); --num-seqs %d gives these filters\n",
			u.Threshold, count(u.Sequences, "sequence", "sequences"), u.Tokens, u.Threshold, min, u.Sequences)
		return
	}
	all := fmt.Sprintf("all %d sequences", u.Sequences)
	if u.Sequences == 1 {
		all = "the 1 sequence"
	}
	fmt.Fprintf(w, "until-stable %g: used %s of --num-seqs (%d tokens) without every head reaching it (min %s); raise --num-seqs for more\n",
		u.Threshold, all, u.Tokens, min)
}

// printStability gives the run's least stable heads in one line. Layers
// without a KV cache and a narrower layer's padding kv heads hold zeros that
// measure nothing: they are left out, as inspect and --until-stable leave
// them out.
func printStability(w io.Writer, res *calibrate.Result) {
	if res == nil || res.Stability == nil {
		return
	}
	minAt := func(v []float32, heads int, real func(l int) int) (float32, int, int, bool) {
		var m float32
		ml, mh, found := 0, 0, false
		for i, x := range v {
			l, h := i/heads, i%heads
			if slices.Contains(res.NoCache, l) || h >= real(l) {
				continue
			}
			if !found || x < m {
				m, ml, mh, found = x, l, h, true
			}
		}
		return m, ml, mh, found
	}
	kvOf := func(l int) int {
		if res.LayerKVHeads != nil {
			return res.LayerKVHeads[l]
		}
		return res.KVHeads
	}
	q, ql, qh, ok := minAt(res.Stability, res.Heads, func(int) int { return res.Heads })
	kv, kl, kh, kvOK := minAt(res.StabilityKV, res.KVHeads, kvOf)
	if !ok || !kvOK {
		return
	}
	fmt.Fprintf(w, "split-half stability: min %.5f at query L%d H%d, %.5f at kv L%d H%d (a rerun on as many other sequences agrees to about 1 - (1 - s)/2; docs/STABILITY.md)\n",
		q, ql, qh, kv, kl, kh)
}
