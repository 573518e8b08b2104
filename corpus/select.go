package corpus

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// Encoder turns text into token ids (with the tokenizer's special tokens).
// An error (a tokenizer that could not be loaded) stops the selection at the
// first text document.
type Encoder func(text string) ([]int, error)

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
// encode turns text into ids; pre-tokenized documents are used as they are. Every id of every document
// read, pre-tokenized or encoded, must lie in [0, vocabSize); otherwise the
// error names the document's source.
//
// When fewer than numSeqs documents qualify, the error says how many
// documents were seen, how many were long enough and the longest length
// found. An empty corpus is its own error.
func Select(r *Reader, encode Encoder, vocabSize, seqLen, numSeqs int) (*Selection, error) {
	sel, longest, err := collect(r, encode, vocabSize, seqLen, numSeqs, 0)
	if err != nil {
		return nil, err
	}
	if len(sel.Seqs) < numSeqs {
		return nil, fmt.Errorf("corpus %s has %s of >= %d tokens, need %d (%s seen, longest %s); lower --seq-len or --num-seqs",
			r.Path(), count(len(sel.Seqs), "document", "documents"), seqLen, numSeqs, count(sel.DocsSeen, "document", "documents"), count(longest, "token", "tokens"))
	}
	return sel, nil
}

// SelectHeldOut is Select for evaluation on held-out text: it skips the
// first skip documents (those calibration reads), then returns up to
// numSeqs sequences, failing only when none qualifies. DocsSeen counts the
// skipped documents too.
func SelectHeldOut(r *Reader, encode Encoder, vocabSize, seqLen, numSeqs, skip int) (*Selection, error) {
	sel, longest, err := collect(r, encode, vocabSize, seqLen, numSeqs, skip)
	if err != nil {
		return nil, err
	}
	if len(sel.Seqs) == 0 {
		if sel.DocsSeen <= skip {
			return nil, fmt.Errorf("corpus %s has %s, all skipped by --skip-docs %d", r.Path(), count(sel.DocsSeen, "document", "documents"), skip)
		}
		return nil, fmt.Errorf("no document of corpus %s has the %d tokens of --seq-len (%s seen after skipping %d, longest %s): give --seq-len %d or less",
			r.Path(), seqLen, count(sel.DocsSeen-skip, "document", "documents"), skip, count(longest, "token", "tokens"), max(longest, 1))
	}
	return sel, nil
}

// collect reads documents in corpus order, drops the first skip, and keeps
// the first numSeqs of at least seqLen tokens, cut to seqLen. It returns the
// length of the longest document it saw (after the skip).
func collect(r *Reader, encode Encoder, vocabSize, seqLen, numSeqs, skip int) (*Selection, int, error) {
	switch {
	case seqLen <= 0:
		return nil, 0, fmt.Errorf("sequence length must be positive, got %d", seqLen)
	case numSeqs <= 0:
		return nil, 0, fmt.Errorf("number of sequences must be positive, got %d", numSeqs)
	case vocabSize <= 0:
		return nil, 0, fmt.Errorf("vocabulary size must be positive, got %d", vocabSize)
	}
	sel := &Selection{}
	longest := 0
	for len(sel.Seqs) < numSeqs {
		d, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		sel.DocsSeen++
		if sel.DocsSeen <= skip {
			continue
		}
		ids := d.IDs
		if ids == nil {
			if encode == nil {
				return nil, 0, fmt.Errorf("%s: text document but no tokenizer (encode is nil)", d.Source)
			}
			if ids, err = encode(d.Text); err != nil {
				return nil, 0, err
			}
		}
		for i, id := range ids {
			if id < 0 || id >= vocabSize {
				what := "input_ids"
				if d.IDs == nil {
					what = "tokenizer output"
				}
				return nil, 0, fmt.Errorf("%s: token id %d at position %d (%s) is outside the vocabulary [0, %d)", d.Source, id, i, what, vocabSize)
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
		return nil, 0, fmt.Errorf("corpus %s has no documents", r.Path())
	}
	return sel, longest, nil
}
