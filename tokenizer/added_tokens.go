package tokenizer

import (
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"
)

// addedTokenJSON is one entry of tokenizer.json's "added_tokens".
type addedTokenJSON struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// addedToken is an added token with the id Hugging Face gives it.
type addedToken struct {
	id         int
	content    string
	singleWord bool
	lstrip     bool
	rstrip     bool
	normalized bool
	special    bool
}

// addedVocab finds added tokens in text. Tokens with normalized=false are
// looked for in the raw text; the others in the normalized text, with their
// content normalized the same way.
type addedVocab struct {
	tokens    []*addedToken
	byContent map[string]int
	special   map[string]bool // contents of the tokens marked special
	raw       *tokenTrie
	norm      *tokenTrie
}

// piece is a stretch of text on its way through the pipeline: an added token
// (id >= 0) or text still to be tokenized (id < 0). first reports that the
// piece starts at the beginning of the input, which Metaspace's "first"
// prepend scheme needs.
type piece struct {
	text  string
	id    int
	first bool
}

// newAddedVocab registers the added tokens as Hugging Face does when it reads
// tokenizer.json (AddedVocabulary::add_tokens): the ids written in the file
// are not used. In the file's order, a token whose content is already an
// added token takes that token's id (an identical entry is skipped, a
// different one replaces it); else one in the model's vocabulary keeps the
// model's id; else it gets the next new id, counting from the number of
// entries in the model's vocabulary. Files saved by the library agree with
// this; a hand-edited one may not, and the library's ids are the ones
// transformers gives the model. Empty contents are ignored.
func newAddedVocab(list []addedTokenJSON, model *bpe, norm normalizer) (*addedVocab, error) {
	v := &addedVocab{
		byContent: make(map[string]int, len(list)),
		special:   make(map[string]bool),
		raw:       newTokenTrie(),
		norm:      newTokenTrie(),
	}
	byID := make(map[int]*addedToken, len(list)) // Hugging Face's added_tokens_map_r
	nextID := len(model.vocab)
	for _, j := range list {
		if j.ID < 0 {
			return nil, fmt.Errorf("added token %q has negative id %d", j.Content, j.ID)
		}
		if j.Content == "" {
			continue
		}
		tok := &addedToken{content: j.Content, singleWord: j.SingleWord,
			lstrip: j.LStrip, rstrip: j.RStrip, normalized: j.Normalized, special: j.Special}
		if id, ok := v.byContent[j.Content]; ok {
			tok.id = id
			if old := byID[id]; old != nil && *old == *tok {
				continue
			}
		} else if id, ok := model.vocab[j.Content]; ok {
			tok.id = id
		} else {
			tok.id = nextID
			nextID++
		}
		v.byContent[j.Content] = tok.id
		byID[tok.id] = tok
		if tok.special {
			v.special[tok.content] = true // never unset, as in Hugging Face
		}
	}
	ids := make([]int, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		tok := byID[id]
		v.tokens = append(v.tokens, tok)
		switch {
		case !tok.normalized:
			v.raw.add(tok.content, tok)
		case norm == nil:
			v.norm.add(tok.content, tok)
		default:
			if key := norm.normalize(tok.content); key != "" {
				v.norm.add(key, tok)
			}
		}
	}
	return v, nil
}

// isSpecial reports whether token (a token's string) is the content of an
// added token marked special: Hugging Face's decode skips by content.
func (v *addedVocab) isSpecial(token string) bool { return v.special[token] }

// splitRaw splits the raw input around the non-normalized added tokens.
func (v *addedVocab) splitRaw(text string) []piece {
	return v.raw.split(piece{text: text, id: -1, first: true}, nil)
}

// splitNormalized splits a normalized piece around the normalized added
// tokens, appending the parts to out.
func (v *addedVocab) splitNormalized(p piece, out []piece) []piece {
	return v.norm.split(p, out)
}

// tokenTrie is a byte trie of token contents; it finds the leftmost-longest
// non-overlapping matches, like the Aho-Corasick automaton Hugging Face uses.
type tokenTrie struct {
	nodes []trieNode
	first [256]bool // bytes that start some token
	empty bool
}

type trieNode struct {
	next map[byte]int32
	tok  *addedToken
}

func newTokenTrie() *tokenTrie {
	return &tokenTrie{nodes: []trieNode{{}}, empty: true}
}

// add inserts a token under key; a later token with the same key wins.
func (t *tokenTrie) add(key string, tok *addedToken) {
	t.empty = false
	t.first[key[0]] = true
	n := int32(0)
	for i := 0; i < len(key); i++ {
		c := key[i]
		nx, ok := t.nodes[n].next[c]
		if !ok {
			if t.nodes[n].next == nil {
				t.nodes[n].next = make(map[byte]int32, 1)
			}
			nx = int32(len(t.nodes))
			t.nodes[n].next[c] = nx
			t.nodes = append(t.nodes, trieNode{})
		}
		n = nx
	}
	t.nodes[n].tok = tok
}

// longest returns the longest token that s starts with and its length.
func (t *tokenTrie) longest(s string) (*addedToken, int) {
	var best *addedToken
	bestLen := 0
	n := int32(0)
	for i := 0; i < len(s); i++ {
		nx, ok := t.nodes[n].next[s[i]]
		if !ok {
			break
		}
		n = nx
		if t.nodes[n].tok != nil {
			best, bestLen = t.nodes[n].tok, i+1
		}
	}
	return best, bestLen
}

// split cuts p around the tokens found in it and appends the non-empty parts
// to out, honouring each token's single_word, lstrip and rstrip flags the way
// Hugging Face's AddedVocabulary.find_matches does.
func (t *tokenTrie) split(p piece, out []piece) []piece {
	s := p.text
	if t.empty {
		if s != "" {
			out = append(out, p)
		}
		return out
	}
	emit := func(a, b int) {
		if a < b {
			out = append(out, piece{text: s[a:b], id: -1, first: p.first && a == 0})
		}
	}
	startOffset := 0
	for i := 0; i < len(s); {
		if !t.first[s[i]] {
			i++
			continue
		}
		tok, n := t.longest(s[i:])
		if tok == nil {
			i++
			continue
		}
		start, stop := i, i+n
		i = stop
		if tok.singleWord {
			startSpace := start == 0 || !endsWithWordChar(s[:start])
			stopSpace := stop == len(s) || !startsWithWordChar(s[stop:])
			if !startSpace || !stopSpace {
				continue // the matcher resumes after the rejected match
			}
		}
		if tok.lstrip {
			ns := start
			for ns > startOffset {
				r, size := utf8.DecodeLastRuneInString(s[:ns])
				if !unicode.IsSpace(r) {
					break
				}
				ns -= size
			}
			start = ns
		}
		if tok.rstrip {
			for stop < len(s) {
				r, size := utf8.DecodeRuneInString(s[stop:])
				if !unicode.IsSpace(r) {
					break
				}
				stop += size
			}
			// The matcher still resumes at the match's own end, as Hugging
			// Face's Aho-Corasick iterator does: a token may start inside the
			// stripped spaces (its piece then overlaps this one).
		}
		emit(startOffset, start)
		out = append(out, piece{text: s[start:stop], id: tok.id, first: p.first && start == 0})
		startOffset = stop
	}
	emit(startOffset, len(s))
	return out
}

// isWordChar reports whether r is a "word" character as Hugging Face's \w
// (Rust regex, UTS#18 Annex C) defines it: Alphabetic (letters, letter
// numbers like "Ⅻ", Other_Alphabetic like "Ⓐ"), a mark, a decimal digit,
// connector punctuation, or a join control (the emoji ZWJ); Unicode 16's
// too (unicode16.go).
func isWordChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Other_Alphabetic, r) ||
		unicode.IsMark(r) || unicode.Is(unicode.Nd, r) || unicode.Is(unicode.Pc, r) ||
		unicode.Is(unicode.Join_Control, r) || in16(r, "L", "M", "Nd")
}

func endsWithWordChar(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return s != "" && isWordChar(r)
}

func startsWithWordChar(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return s != "" && isWordChar(r)
}
