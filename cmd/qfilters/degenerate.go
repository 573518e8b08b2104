package main

import (
	"fmt"
	"io"
)

// warnDegenerate warns, before the run, of calibrations whose filters the
// data cannot determine: fewer sampled queries per head than dimensions
// (the principal direction is then fixed by too few points: any direction
// orthogonal to them explains none of the energy, and another sample gives
// another filter), and a single sequence (one document's queries, and no
// second one to tell whether they are typical). samples is --samples, 0
// for all.
func warnDegenerate(w io.Writer, seqs, seqLen, samples, headDim int) {
	queries := seqs * seqLen
	if samples > 0 {
		queries = min(queries, samples)
	}
	if queries < headDim {
		fmt.Fprintf(w, "qfilters: warning: %s per head for %d dimensions: the principal direction is not determined by so few points; give more --num-seqs, --seq-len or --samples\n",
			count(queries, "sampled query", "sampled queries"), headDim)
	}
	if seqs == 1 {
		fmt.Fprintln(w, "qfilters: warning: calibrating on 1 sequence: the filters describe one document's queries; use --num-seqs 2 or more (the reference uses 20)")
	}
}

// count writes n with the noun in the singular or the plural.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
