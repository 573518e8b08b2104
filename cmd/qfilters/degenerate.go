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

// warnPastContext warns of sequences longer than the model's
// max_position_embeddings (maxPositions; 0: not stated): their last
// positions are rotations the model was not trained on, so their queries
// say little of how it attends.
func warnPastContext(w io.Writer, seqLen, maxPositions int) {
	if maxPositions > 0 && seqLen > maxPositions {
		fmt.Fprintf(w, "qfilters: warning: --seq-len %d is past the model's max_position_embeddings (%d): positions beyond it are not what the model was trained on\n",
			seqLen, maxPositions)
	}
}

// count writes n with the noun in the singular or the plural.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
