package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/figure"
)

func init() { commands = append(commands, newDiffCmd) }

type diffOptions struct {
	MinCos float64
	JSON   bool
	PNG    string
}

func newDiffCmd() *cobra.Command {
	opt := diffOptions{MinCos: 0.99}
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Compare two filter directories by cosine similarity per head",
		Long: `Diff prints the cosine similarity of the q_filters of two directories per
layer and kv head (and per query head when both directories have per-query-head
filters), then a summary. The cosine of a zero vector with anything is 0.

Exit status: 0 when every head reaches --min-cos, 1 when some head is below it
(they are listed), 2 on trouble (unreadable directory, shape mismatch).`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd.OutOrStdout(), args[0], args[1], opt)
		},
	}
	cmd.Flags().Float64Var(&opt.MinCos, "min-cos", opt.MinCos, "fail (exit 1) when a head's cosine similarity is below `X`")
	cmd.Flags().BoolVar(&opt.JSON, "json", false, "print the numbers as JSON")
	cmd.Flags().StringVar(&opt.PNG, "png", "", "also draw the per-head cosine as a heat map to `FILE` (.png or .svg)")
	return cmd
}

// diffTrouble is a failure to compare at all (exit code 2).
type diffTrouble struct{ err error }

func (e diffTrouble) Error() string { return e.err.Error() }
func (e diffTrouble) Unwrap() error { return e.err }
func (e diffTrouble) ExitCode() int { return 2 }

// diffBelow reports heads below --min-cos (exit code 1).
type diffBelow struct {
	min       float64
	kv, query []export.HeadValue
}

func (e diffBelow) Error() string {
	return fmt.Sprintf("%d kv heads and %d query heads below --min-cos %g: %s",
		len(e.kv), len(e.query), e.min, headList(e.kv, e.query, 10, e.min))
}
func (e diffBelow) ExitCode() int { return 1 }

// headList names up to n heads as "kv L0 H1 -1.0000, query L2 H3 0.5000",
// with the digits that show each below minCos.
func headList(kv, query []export.HeadValue, n int, minCos float64) string {
	var parts []string
	for _, v := range kv {
		parts = append(parts, "kv "+headCos(v, minCos))
	}
	for _, v := range query {
		parts = append(parts, "query "+headCos(v, minCos))
	}
	if len(parts) > n {
		parts = append(parts[:n], fmt.Sprintf("… (%d more)", len(parts)-n))
	}
	return strings.Join(parts, ", ")
}

// diffReport is the --json output.
type diffReport struct {
	A      string  `json:"a"`
	B      string  `json:"b"`
	MinCos float64 `json:"min_cos"`
	*export.Comparison
	Summary []*export.Summary `json:"summary"`
	// BelowKV and BelowQuery list the heads below MinCos.
	BelowKV    []export.HeadValue `json:"below_kv"`
	BelowQuery []export.HeadValue `json:"below_query"`
	OK         bool               `json:"ok"`
	// With both runs' stability: the heads within their split-half noise
	// and those beyond it (drift), per level (export/noise.go).
	Noise *diffNoise `json:"noise,omitempty"`
}

func runDiff(w io.Writer, a, b string, opt diffOptions) error {
	// A NaN threshold would pass every head (no comparison with NaN is true).
	if math.IsNaN(opt.MinCos) {
		return usageError{errors.New("--min-cos must be a number, got NaN")}
	}
	if opt.PNG != "" {
		if err := figure.CheckPath(opt.PNG); err != nil {
			return usageError{err}
		}
	}
	fa, err := export.Read(a)
	if err != nil {
		return diffTrouble{err}
	}
	fb, err := export.Read(b)
	if err != nil {
		return diffTrouble{err}
	}
	cmp, err := export.Compare(fa, fb)
	if err != nil {
		var sm *export.ShapeMismatchError
		if errors.As(err, &sm) {
			return diffTrouble{fmt.Errorf("%s and %s: %w", a, b, err)}
		}
		return diffTrouble{err}
	}
	cmp.AddNoise(fa, fb)
	if opt.PNG != "" {
		if err := cmp.Figure(a, b, opt.MinCos).Save(opt.PNG); err != nil {
			return diffTrouble{fmt.Errorf("writing %s: %w", opt.PNG, err)}
		}
	}
	kv, query := cmp.Below(opt.MinCos)
	rep := diffReport{A: a, B: b, MinCos: opt.MinCos, Comparison: cmp, Summary: cmp.Summaries(weakestN),
		BelowKV: nonNil(kv), BelowQuery: nonNil(query), OK: len(kv)+len(query) == 0, Noise: noiseOf(cmp)}
	if opt.JSON {
		if err := printJSON(w, rep); err != nil {
			return err
		}
	} else if err := printDiff(w, rep); err != nil {
		return err
	}
	if !rep.OK {
		return diffBelow{opt.MinCos, kv, query}
	}
	return nil
}

func nonNil(v []export.HeadValue) []export.HeadValue {
	if v == nil {
		return []export.HeadValue{}
	}
	return v
}

// headCos is "L0 H1 0.99987" with cosDigits(minCos) decimals.
func headCos(h export.HeadValue, minCos float64) string {
	return fmt.Sprintf("L%d H%d %s", h.Layer, h.Head, formatCos(h.Value, minCos, cosDigits(minCos)))
}

func printDiff(w io.Writer, rep diffReport) error {
	var b strings.Builder
	digits := cosDigits(rep.MinCos)
	width := digits + 3
	c := rep.Comparison
	fmt.Fprintf(&b, "%s vs %s: %d layers, %d kv heads", rep.A, rep.B, c.Layers, c.KVHeads)
	if c.Query != nil {
		fmt.Fprintf(&b, ", %d query heads", c.Heads)
	} else {
		b.WriteString(" (per-query-head filters: not in both)")
	}
	b.WriteString("\n\ncosine per kv head (rows: layers)\n")
	b.WriteString("     ")
	for h := 0; h < c.KVHeads; h++ {
		fmt.Fprintf(&b, " %*s", width, fmt.Sprintf("H%d", h))
	}
	b.WriteString("\n")
	grid := c.Grid(c.KV, c.KVHeads)
	for l := 0; l < c.Layers; l++ {
		fmt.Fprintf(&b, "L%-4d", l)
		if math.IsNaN(grid[l*c.KVHeads]) {
			b.WriteString(" no KV cache (linear attention)\n")
			continue
		}
		for h := 0; h < c.KVHeads; h++ {
			v := grid[l*c.KVHeads+h]
			if math.IsNaN(v) { // beyond the layer's kv heads
				fmt.Fprintf(&b, " %*s ", width, "-")
				continue
			}
			mark := ' '
			if v < rep.MinCos {
				mark = '!'
				if c.WithinNoise("kv", l, h) {
					mark = '~'
				}
			}
			fmt.Fprintf(&b, " %*s", width, formatCos(v, rep.MinCos, digits))
			b.WriteRune(mark)
		}
		b.WriteString("\n")
	}
	b.WriteString("\nsummary\n")
	for _, s := range rep.Summary {
		fmt.Fprintf(&b, "  cosine (%d %s heads): mean %.*f, min %s at L%d H%d\n", s.Count, s.Level, digits, s.Mean,
			formatCos(s.Min.Value, rep.MinCos, digits), s.Min.Layer, s.Min.Head)
		weak := make([]string, len(s.Weakest))
		for i, h := range s.Weakest {
			weak[i] = headCos(h, rep.MinCos)
		}
		fmt.Fprintf(&b, "    worst: %s\n", strings.Join(weak, ", "))
	}
	printNoise(&b, rep.Noise)
	if rep.OK {
		fmt.Fprintf(&b, "all heads >= %g\n", rep.MinCos)
	} else {
		fmt.Fprintf(&b, "below %g: %s\n", rep.MinCos, headList(rep.BelowKV, rep.BelowQuery, len(rep.BelowKV)+len(rep.BelowQuery), rep.MinCos))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
