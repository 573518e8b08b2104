package main

import (
	"fmt"
	"strings"

	"github.com/qfilters/qfilters/export"
)

// diffNoise is diff's verdict against the split-half noise of both runs.
type diffNoise struct {
	// Rule is the criterion, in words.
	Rule             string             `json:"rule"`
	WithinNoiseKV    []export.HeadValue `json:"within_noise_kv"`
	DriftKV          []export.HeadValue `json:"drift_kv"`
	WithinNoiseQuery []export.HeadValue `json:"within_noise_query,omitempty"`
	DriftQuery       []export.HeadValue `json:"drift_query,omitempty"`
}

const noiseRule = "within noise: 1 - cos(a, b) <= (1 - stability_a) + (1 - stability_b)"

// noiseOf splits the compared heads by the noise rule; nil when a side has
// no stability.
func noiseOf(c *export.Comparison) *diffNoise {
	if c.KVNoise == nil {
		return nil
	}
	kvIn, kvOut, qIn, qOut := c.Split()
	n := &diffNoise{Rule: noiseRule, WithinNoiseKV: nonNil(kvIn), DriftKV: nonNil(kvOut)}
	if c.QueryNoise != nil {
		n.WithinNoiseQuery, n.DriftQuery = nonNil(qIn), nonNil(qOut)
	}
	return n
}

// printNoise tells how many heads differ within the runs' own noise and
// names those beyond it.
func printNoise(b *strings.Builder, n *diffNoise) {
	if n == nil {
		b.WriteString("split-half noise: unknown (a directory without stability)\n")
		return
	}
	fmt.Fprintf(b, "split-half noise (%s):\n", n.Rule)
	level := func(name string, in, out []export.HeadValue) {
		fmt.Fprintf(b, "  %s heads: %d within noise, %d beyond it (drift)", name, len(in), len(out))
		if len(out) > 0 {
			names := make([]string, 0, min(len(out), 10))
			for _, v := range out[:min(len(out), 10)] {
				names = append(names, v.String())
			}
			if len(out) > 10 {
				names = append(names, fmt.Sprintf("… (%d more)", len(out)-10))
			}
			fmt.Fprintf(b, ": %s", strings.Join(names, ", "))
		}
		b.WriteString("\n")
	}
	level("kv", n.WithinNoiseKV, n.DriftKV)
	if n.WithinNoiseQuery != nil {
		level("query", n.WithinNoiseQuery, n.DriftQuery)
	}
	b.WriteString("  (~ in the grid: below --min-cos but within noise)\n")
}
