package corpus

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// Selection is the outcome of Select.
type Selection struct {
	Seqs        [][]int  // numSeqs sequences of exactly seqLen ids
	DocsSeen    int      // documents read, including skipped ones
	DocsSkipped int      // documents shorter than seqLen
	Sources     []string // Sources[i] is the Document.Source of Seqs[i]
}

// Select reads documents in corpus order and returns the first numSeqs token
// sequences of exactly seqLen tokens: documents shorter than seqLen are
// skipped, longer ones are cut to their first seqLen tokens (the reference's
// rule). It stops reading as soon as numSeqs sequences are found.
//
// encode turns text into ids (with the tokenizer's special tokens);
// pre-tokenized documents are used as they are. Every id of every document
// read, pre-tokenized or encoded, must lie in [0, vocabSize); otherwise the
// error names the document's source.
//
// When fewer than numSeqs documents qualify, the error says how many
// documents were seen, how many were long enough and the longest length
// found. An empty corpus is its own error.
func Select(r *Reader, encode func(string) []int, vocabSize, seqLen, numSeqs int) (*Selection, error) {
	switch {
	case seqLen <= 0:
		return nil, fmt.Errorf("corpus: sequence length must be positive, got %d", seqLen)
	case numSeqs <= 0:
		return nil, fmt.Errorf("corpus: number of sequences must be positive, got %d", numSeqs)
	case vocabSize <= 0:
		return nil, fmt.Errorf("corpus: vocabulary size must be positive, got %d", vocabSize)
	}
	sel := &Selection{}
	longest := 0
	for len(sel.Seqs) < numSeqs {
		d, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		sel.DocsSeen++
		ids := d.IDs
		if ids == nil {
			if encode == nil {
				return nil, fmt.Errorf("%s: text document but no tokenizer (encode is nil)", d.Source)
			}
			ids = encode(d.Text)
		}
		for i, id := range ids {
			if id < 0 || id >= vocabSize {
				what := "input_ids"
				if d.IDs == nil {
					what = "tokenizer output"
				}
				return nil, fmt.Errorf("%s: token id %d at position %d (%s) is outside the vocabulary [0, %d)", d.Source, id, i, what, vocabSize)
			}
		}
		longest = max(longest, len(ids))
		if len(ids) < seqLen {
			sel.DocsSkipped++
			continue
		}
		sel.Seqs = append(sel.Seqs, slices.Clone(ids[:seqLen]))
		sel.Sources = append(sel.Sources, d.Source)
	}
	if sel.DocsSeen == 0 {
		return nil, fmt.Errorf("corpus %s has no documents", r.Path())
	}
	if len(sel.Seqs) < numSeqs {
		return nil, fmt.Errorf("corpus %s has %d documents of >= %d tokens, need %d (%d documents seen, longest %d tokens); lower --seq-len or --num-seqs",
			r.Path(), len(sel.Seqs), seqLen, numSeqs, sel.DocsSeen, longest)
	}
	return sel, nil
}
