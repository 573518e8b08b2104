package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/export/heatmap"
	"github.com/qfilters/qfilters/figure"
)

func init() { commands = append(commands, newInspectCmd) }

// weakestN is how many weakest heads the summaries list.
const weakestN = 5

type inspectOptions struct {
	JSON  bool
	PNG   string
	Color bool
}

func newInspectCmd() *cobra.Command {
	var opt inspectOptions
	cmd := &cobra.Command{
		Use:   "inspect DIR",
		Short: "Per-head quality of a filter directory: energy share, sign agreement, stability, filter norm",
		Long: `Inspect shows, per layer and head, the share of query energy along the filter
direction (sigma_1^2 / sum sigma_i^2), the sign-vote agreement and the filter
norm (a GQA average has norm < 1 when its group's query filters disagree), as
heat maps (layers as rows, heads as columns) followed by a summary. Directories
from the reference library only hold q_filters: then only norms are shown.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt.Color = !opt.JSON && colorTerminal(cmd.OutOrStdout())
			return runInspect(cmd.OutOrStdout(), args[0], opt)
		},
	}
	cmd.Flags().BoolVar(&opt.JSON, "json", false, "print the numbers as JSON")
	cmd.Flags().StringVar(&opt.PNG, "png", "", "also draw the heat maps to `FILE` (.png or .svg)")
	return cmd
}

// exactArgs is cobra.ExactArgs reporting a usage error (exit code 2) that
// shows how the command is called.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		want := fmt.Sprintf("%d arguments", n)
		switch n {
		case 0:
			want = "no arguments"
		case 1:
			want = "1 argument"
		}
		return usageError{fmt.Errorf("%s takes %s, got %d (usage: qfilters %s)", cmd.Name(), want, len(args), cmd.Use)}
	}
}

// colorTerminal reports whether w is a terminal that should get colour.
func colorTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

// inspectReport is the --json output.
type inspectReport struct {
	Dir string `json:"dir"`
	*export.Figures
	// Unavailable lists the metrics the directory cannot provide.
	Unavailable []string           `json:"unavailable"`
	Summary     []*export.Summary  `json:"summary"`
	Provenance  *export.Provenance `json:"provenance"`
}

func runInspect(w io.Writer, dir string, opt inspectOptions) error {
	if opt.PNG != "" {
		if err := figure.CheckPath(opt.PNG); err != nil {
			return usageError{err}
		}
	}
	f, err := export.Read(dir)
	if err != nil {
		return err
	}
	st := export.ComputeFigures(f)
	rep := inspectReport{Dir: dir, Figures: st, Unavailable: unavailable(f), Summary: st.Summaries(weakestN), Provenance: f.Provenance}
	grids := inspectGrids(f, st)
	if opt.PNG != "" {
		if err := st.Figure(f, dir, weakestN).Save(opt.PNG); err != nil {
			return fmt.Errorf("writing %s: %w", opt.PNG, err)
		}
	}
	if opt.JSON {
		return printJSON(w, rep)
	}
	return printInspect(w, f, rep, grids, opt.Color)
}

func unavailable(f *export.Filters) []string {
	out := []string{}
	if f.SingularValues == nil {
		out = append(out, export.MetricEnergyShare)
	}
	if f.SignAgreement == nil {
		out = append(out, export.MetricSignAgreement)
	}
	if f.Stability == nil {
		out = append(out, export.MetricStability)
	}
	if f.PerQueryHead == nil {
		out = append(out, "per_query_head_filters")
	}
	return out
}

// inspectGrids builds the heat maps of the available metrics.
func inspectGrids(f *export.Filters, st *export.Figures) []heatmap.Grid {
	var grids []heatmap.Grid
	grid := func(title string, rows []export.HeadFigures, cols int, metric string, lo, hi float64, group int) {
		vals := make([]float64, len(rows))
		for i, r := range rows {
			vals[i] = math.NaN()
			if v := r.Get(metric); v != nil {
				vals[i] = *v
			}
		}
		grids = append(grids, heatmap.Grid{Title: title, Rows: f.Layers, Cols: cols, Values: vals, Lo: lo, Hi: hi, Group: group})
	}
	if f.SingularValues != nil {
		grid("energy share per query head", st.Query, f.Heads, export.MetricEnergyShare, 0, 1, f.GroupSize())
	}
	if f.SignAgreement != nil {
		grid("sign agreement per query head", st.Query, f.Heads, export.MetricSignAgreement, 0.5, 1, f.GroupSize())
	}
	if f.Stability != nil {
		lo := export.StabilityScale(append(append([]float32(nil), f.Stability...), f.StabilityKV...))
		grid(fmt.Sprintf("split-half stability per query head (scale %g..1)", lo), st.Query, f.Heads, export.MetricStability, lo, 1, f.GroupSize())
		grid(fmt.Sprintf("split-half stability per kv head (scale %g..1)", lo), st.KV, f.KVHeads, export.MetricStability, lo, 1, 0)
	}
	hi := 1.0
	for _, r := range st.KV {
		if r.Norm != nil {
			hi = math.Max(hi, *r.Norm)
		}
	}
	grid("filter norm per kv head", st.KV, f.KVHeads, export.MetricNorm, 0, hi, 0)
	return grids
}

func printInspect(w io.Writer, f *export.Filters, rep inspectReport, grids []heatmap.Grid, color bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d layers, %d kv heads, head dim %d", rep.Dir, f.Layers, f.KVHeads, f.HeadDim)
	if f.Heads > 0 {
		fmt.Fprintf(&b, ", %d query heads (%d per kv head)", f.Heads, f.GroupSize())
	}
	b.WriteString("\n")
	if p := f.Provenance; p != nil {
		fmt.Fprintf(&b, "model %s, corpus %s, %d tokens, samples %s, sign %s, %s\n", orDash(p.Model), orDash(p.Corpus), p.Tokens, orDash(p.Samples), orDash(p.Sign), orDash(p.Precision))
	}
	if len(f.NoCache) > 0 {
		fmt.Fprintf(&b, "layers without a KV cache (linear attention, no filter; blank rows below): %s\n", layerList(f.NoCache))
	}
	if len(rep.Unavailable) > 0 {
		fmt.Fprintf(&b, "unavailable: %s", strings.Join(rep.Unavailable, ", "))
		if f.Heads == 0 {
			b.WriteString(" (reference directory: only q_filters)")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	for _, g := range grids {
		if err := heatmap.Text(w, g, color); err != nil {
			return err
		}
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
	}
	b.Reset()
	b.WriteString("summary\n")
	for _, s := range rep.Summary {
		fmt.Fprintf(&b, "  %-14s (%d %s heads): mean %.4f, min %.4f at L%d H%d, max %.4f\n",
			s.Metric, s.Count, s.Level, s.Mean, s.Min.Value, s.Min.Layer, s.Min.Head, s.Max.Value)
		weak := make([]string, len(s.Weakest))
		for i, h := range s.Weakest {
			weak[i] = h.String()
		}
		fmt.Fprintf(&b, "  %-14s weakest: %s\n", "", strings.Join(weak, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// layerList writes layer indices as "0, 1, 2".
func layerList(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
