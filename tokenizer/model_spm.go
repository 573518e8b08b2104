package tokenizer

import (
	"container/heap"
	"fmt"
	"unicode/utf8"
)

// SentencePiece scoring, as llama.cpp's SPM tokenizer (llm_tokenizer_spm)
// applies a GGUF vocabulary of tokenizer model "llama": the word starts as
// its UTF-8 characters; while some adjacent pair's concatenation is a token,
// the pair whose token has the highest score merges (ties: the leftmost).
// A final piece that is not a token (a character outside the vocabulary)
// becomes its bytes' <0xNN> tokens, else the unk token.

// spmMerge appends the ids of word.
func (m *bpe) spmMerge(word string, ids []int) []int {
	type sym struct {
		start, n   int
		prev, next int
	}
	var syms []sym
	for off := 0; off < len(word); {
		_, size := utf8.DecodeRuneInString(word[off:])
		syms = append(syms, sym{start: off, n: size, prev: len(syms) - 1, next: len(syms) + 1})
		off += size
	}
	if len(syms) == 0 {
		return ids
	}
	syms[len(syms)-1].next = -1
	q := &bigramQueue{}
	try := func(l, r int) {
		if l < 0 || r < 0 {
			return
		}
		text := word[syms[l].start : syms[l].start+syms[l].n+syms[r].n]
		id, ok := m.vocab[text]
		if !ok || id >= len(m.scores) {
			return
		}
		heap.Push(q, bigram{left: l, right: r, score: m.scores[id], size: len(text)})
	}
	for i := 1; i < len(syms); i++ {
		try(i-1, i)
	}
	for q.Len() > 0 {
		b := heap.Pop(q).(bigram)
		l, r := &syms[b.left], &syms[b.right]
		// Stale: one side has merged since this pair was queued.
		if l.n == 0 || r.n == 0 || l.n+r.n != b.size {
			continue
		}
		l.n += r.n
		r.n = 0
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		try(l.prev, b.left)
		try(b.left, l.next)
	}
	for i := 0; i >= 0; i = syms[i].next {
		text := word[syms[i].start : syms[i].start+syms[i].n]
		if id, ok := m.vocab[text]; ok {
			ids = append(ids, id)
			continue
		}
		for k := 0; k < len(text); k++ {
			// llama.cpp's byte_to_token: <0xNN>, else the byte itself.
			id := m.fallback[text[k]]
			if id < 0 {
				id = lookup(m.vocab, text[k:k+1])
			}
			if id < 0 {
				id = m.unkID
			}
			if id >= 0 {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

type bigram struct {
	left, right int
	score       float32
	size        int
}

// bigramQueue pops the highest score first, then the leftmost pair.
type bigramQueue []bigram

func (q bigramQueue) Len() int { return len(q) }
func (q bigramQueue) Less(i, j int) bool {
	return q[i].score > q[j].score || (q[i].score == q[j].score && q[i].left < q[j].left)
}
func (q bigramQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *bigramQueue) Push(x any)   { *q = append(*q, x.(bigram)) }
func (q *bigramQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// FromJSON builds a Tokenizer from the bytes of a tokenizer.json and,
// optionally (nil), of a tokenizer_config.json: for sources that carry the
// tokenizer in another form and translate it, such as GGUF files.
func FromJSON(tokenizerJSON, configJSON []byte) (*Tokenizer, error) {
	t, err := parse(tokenizerJSON)
	if err != nil {
		return nil, err
	}
	if configJSON != nil {
		if err := t.config.parse(configJSON); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// FromJSONScored is FromJSON for a SentencePiece vocabulary encoded by
// scores, as llama.cpp does, instead of by BPE merges: scores[id] is each
// token's score, and the tokenizer.json's model must list no merges.
func FromJSONScored(tokenizerJSON, configJSON []byte, scores []float32) (*Tokenizer, error) {
	t, err := FromJSON(tokenizerJSON, configJSON)
	if err != nil {
		return nil, err
	}
	if len(t.model.merges) > 0 {
		return nil, fmt.Errorf("a scored vocabulary cannot also have merges")
	}
	if len(scores) != len(t.model.idToToken) {
		return nil, fmt.Errorf("%d scores for %d tokens", len(scores), len(t.model.idToToken))
	}
	t.model.scores = scores
	return t, nil
}
