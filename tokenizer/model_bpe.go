package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// bpe is the BPE model: it splits a word into initial symbols (characters,
// or bytes for byte-level files) and applies merges by rank, lowest first,
// exactly as Hugging Face's Word::merge_all does.
// maxIDGap bounds how far token ids may run past the number of tokens.
const maxIDGap = 1 << 16

type bpe struct {
	vocab     map[string]int // token -> id, tokens as written in the file
	idToToken []string       // id -> token for the model's vocabulary

	merges map[uint64]mergeRule // (left id, right id) -> rule
	// scores, when set, replace merges: SentencePiece scoring (model_spm.go).
	scores []float32

	unkID        int // -1 when there is no unk token
	fuseUnk      bool
	byteFallback bool
	fallback     [256]int // id of "<0xNN>", -1 when absent
	ignoreMerges bool
	prefix       string // continuing_subword_prefix
	suffix       string // end_of_word_suffix

	// byteLevel: words arrive as raw bytes and each byte stands for its
	// byte-level character; rawVocab then maps raw byte strings to ids.
	byteLevel bool
	rawVocab  map[string]int
	byteID    [256]int // id of each byte's character, -1 when absent

	cacheMu sync.RWMutex
	cache   map[string][]int
}

// mergeRule is what merging a pair gives: its rank and the new token id.
type mergeRule struct {
	rank  int32
	newID int32
}

const (
	cacheCapacity = 1 << 16 // words kept in the cache
	cacheMaxLen   = 256     // longer words are not cached (as in Hugging Face)
)

type bpeJSON struct {
	Type                    string         `json:"type"`
	Dropout                 *float64       `json:"dropout"`
	UnkToken                *string        `json:"unk_token"`
	ContinuingSubwordPrefix *string        `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string        `json:"end_of_word_suffix"`
	FuseUnk                 bool           `json:"fuse_unk"`
	ByteFallback            bool           `json:"byte_fallback"`
	IgnoreMerges            bool           `json:"ignore_merges"`
	Vocab                   map[string]int `json:"vocab"`
	Merges                  []mergeJSON    `json:"merges"`
}

// mergeJSON is one merge: "left right" (older files) or ["left", "right"].
type mergeJSON [2]string

func (m *mergeJSON) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		l, r, ok := strings.Cut(s, " ")
		if !ok {
			return fmt.Errorf("merge %q is not two tokens separated by a space", s)
		}
		m[0], m[1] = l, r
		return nil
	}
	var pair []string
	if err := json.Unmarshal(b, &pair); err != nil {
		return err
	}
	if len(pair) != 2 {
		return fmt.Errorf("merge %v does not have two tokens", pair)
	}
	m[0], m[1] = pair[0], pair[1]
	return nil
}

// newBPE builds the model; byteLevel says the pre-tokenizer ends with
// ByteLevel, so words reach the model as raw bytes.
func newBPE(raw json.RawMessage, byteLevel bool) (*bpe, error) {
	if isNull(raw) {
		return nil, errors.New("missing")
	}
	typ, err := componentType(raw)
	if err != nil {
		return nil, err
	}
	if typ != "BPE" {
		return nil, fmt.Errorf("model type %q is not supported (only BPE)", typ)
	}
	var j bpeJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("BPE: %w", err)
	}
	if j.Dropout != nil && *j.Dropout != 0 {
		return nil, fmt.Errorf("BPE dropout %g is not supported", *j.Dropout)
	}
	m := &bpe{
		vocab:        j.Vocab,
		unkID:        -1,
		fuseUnk:      j.FuseUnk,
		byteFallback: j.ByteFallback,
		ignoreMerges: j.IgnoreMerges,
		byteLevel:    byteLevel,
		cache:        make(map[string][]int),
	}
	if j.ContinuingSubwordPrefix != nil {
		m.prefix = *j.ContinuingSubwordPrefix
	}
	if j.EndOfWordSuffix != nil {
		m.suffix = *j.EndOfWordSuffix
	}
	size := 0
	for tok, id := range j.Vocab {
		// Ids are dense in real files; a few gaps are tolerated, but an id far
		// beyond the vocabulary's size would make the id table absurdly big.
		if id < 0 || id >= len(j.Vocab)+maxIDGap {
			return nil, fmt.Errorf("BPE: token %q has id %d, out of range for a vocabulary of %d tokens", tok, id, len(j.Vocab))
		}
		size = max(size, id+1)
	}
	m.idToToken = make([]string, size)
	for tok, id := range j.Vocab {
		m.idToToken[id] = tok
	}
	if j.UnkToken != nil {
		id, ok := j.Vocab[*j.UnkToken]
		if !ok {
			return nil, fmt.Errorf("BPE: unk_token %q is not in the vocabulary", *j.UnkToken)
		}
		m.unkID = id
	}
	for b := 0; b < 256; b++ {
		m.fallback[b] = lookup(j.Vocab, fmt.Sprintf("<0x%02X>", b))
		m.byteID[b] = lookup(j.Vocab, byteToStr[b])
	}
	if byteLevel {
		m.rawVocab = make(map[string]int, len(j.Vocab))
		for tok, id := range j.Vocab {
			if b, ok := byteLevelDecode(tok); ok {
				m.rawVocab[string(b)] = id
			}
		}
	}
	m.merges = make(map[uint64]mergeRule, len(j.Merges))
	for rank, mg := range j.Merges {
		l, ok1 := j.Vocab[mg[0]]
		r, ok2 := j.Vocab[mg[1]]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("BPE: merge %d (%q %q) uses a token not in the vocabulary", rank, mg[0], mg[1])
		}
		merged := mg[0] + strings.TrimPrefix(mg[1], m.prefix)
		n, ok := j.Vocab[merged]
		if !ok {
			return nil, fmt.Errorf("BPE: merge %d gives %q, which is not in the vocabulary", rank, merged)
		}
		m.merges[pairKey(l, r)] = mergeRule{rank: int32(rank), newID: int32(n)}
	}
	return m, nil
}

func lookup(vocab map[string]int, tok string) int {
	if id, ok := vocab[tok]; ok {
		return id
	}
	return -1
}

func pairKey(l, r int) uint64 { return uint64(uint32(l))<<32 | uint64(uint32(r)) }

// tokenize appends the ids of one pre-tokenized word to ids.
func (m *bpe) tokenize(word string, ids []int) []int {
	if word == "" {
		return ids
	}
	if m.ignoreMerges {
		v := m.vocab
		if m.byteLevel {
			v = m.rawVocab
		}
		if id, ok := v[word]; ok {
			return append(ids, id)
		}
	}
	m.cacheMu.RLock()
	hit, ok := m.cache[word]
	m.cacheMu.RUnlock()
	if ok {
		return append(ids, hit...)
	}
	start := len(ids)
	ids = m.mergeWord(word, ids)
	if len(word) < cacheMaxLen {
		m.cacheMu.Lock()
		if len(m.cache) < cacheCapacity {
			m.cache[strings.Clone(word)] = append([]int(nil), ids[start:]...)
		}
		m.cacheMu.Unlock()
	}
	return ids
}

// mergeWord is Hugging Face's BPE::merge_word followed by Word::merge_all.
func (m *bpe) mergeWord(word string, ids []int) []int {
	if m.scores != nil {
		return m.spmMerge(word, ids)
	}
	syms := m.initialSymbols(word)
	w := newSymbolList(syms)
	w.mergeAll(m.merges)
	for i := 0; i >= 0 && i < len(w.syms); i = int(w.syms[i].next) {
		ids = append(ids, int(w.syms[i].id))
	}
	return ids
}

// initialSymbols splits word into the model's starting symbols: one per
// character (one per byte for byte-level files), with the subword prefix and
// word suffix applied, falling back to <0xNN> byte tokens or to unk (fused
// when fuse_unk) when a character is not in the vocabulary. A character with
// neither is dropped, as in Hugging Face.
func (m *bpe) initialSymbols(word string) []int32 {
	syms := make([]int32, 0, len(word))
	plain := m.prefix == "" && m.suffix == ""
	// pendingUnk is an unk not yet emitted: Hugging Face holds it back so
	// that following unknown characters can be fused into it, and (a quirk
	// kept here) emits byte-fallback tokens before it.
	pendingUnk := false
	for pos := 0; pos < len(word); {
		size := 1
		if !m.byteLevel {
			_, size = utf8.DecodeRuneInString(word[pos:])
		}
		first, last := pos == 0, pos+size == len(word)
		var unit string
		id := -1
		if m.byteLevel && plain {
			id = m.byteID[word[pos]]
		} else {
			if m.byteLevel {
				unit = byteToStr[word[pos]]
			} else {
				unit = word[pos : pos+size]
			}
			if !first && m.prefix != "" {
				unit = m.prefix + unit
			}
			if last && m.suffix != "" {
				unit += m.suffix
			}
			id = lookup(m.vocab, unit)
		}
		b := word[pos]
		pos += size
		if id >= 0 {
			if pendingUnk {
				syms = append(syms, int32(m.unkID))
				pendingUnk = false
			}
			syms = append(syms, int32(id))
			continue
		}
		if m.byteFallback {
			if m.byteLevel && plain {
				unit = byteToStr[b]
			}
			if m.fallbackOK(unit) {
				for k := 0; k < len(unit); k++ {
					syms = append(syms, int32(m.fallback[unit[k]]))
				}
				continue
			}
		}
		if m.unkID < 0 {
			continue
		}
		if pendingUnk && !m.fuseUnk {
			syms = append(syms, int32(m.unkID))
		}
		pendingUnk = true
	}
	if pendingUnk {
		syms = append(syms, int32(m.unkID))
	}
	return syms
}

// fallbackOK reports whether every byte of s has a <0xNN> token.
func (m *bpe) fallbackOK(s string) bool {
	for k := 0; k < len(s); k++ {
		if m.fallback[s[k]] < 0 {
			return false
		}
	}
	return true
}

// clearCache empties the word cache.
func (m *bpe) clearCache() {
	m.cacheMu.Lock()
	clear(m.cache)
	m.cacheMu.Unlock()
}
