package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites a piece of text before pre-tokenization.
type normalizer interface {
	normalize(s string) string
}

// newNormalizer builds the normalizer described by raw; nil raw means none.
func newNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	typ, err := componentType(raw)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "Sequence":
		seq, err := parseSequence(raw, "normalizers", newNormalizer)
		return normalizerSeq(seq), err
	case "NFC":
		return unicodeForm{norm.NFC}, nil
	case "NFD":
		return unicodeForm{norm.NFD}, nil
	case "NFKC":
		return unicodeForm{norm.NFKC}, nil
	case "NFKD":
		return unicodeForm{norm.NFKD}, nil
	case "Prepend":
		var j struct {
			Prepend string `json:"prepend"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("Prepend: %w", err)
		}
		return prepend(j.Prepend), nil
	case "Replace":
		var j struct {
			Pattern json.RawMessage `json:"pattern"`
			Content string          `json:"content"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("Replace: %w", err)
		}
		pat, err := newPattern(j.Pattern)
		if err != nil {
			return nil, fmt.Errorf("Replace: %w", err)
		}
		return replace{pat: pat, content: j.Content}, nil
	case "Strip":
		var j struct {
			Left  bool `json:"strip_left"`
			Right bool `json:"strip_right"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("Strip: %w", err)
		}
		return strip{left: j.Left, right: j.Right}, nil
	}
	return nil, fmt.Errorf("normalizer type %q is not supported", typ)
}

// normalizerSeq applies normalizers in order.
type normalizerSeq []normalizer

func (q normalizerSeq) normalize(s string) string {
	for _, n := range q {
		s = n.normalize(s)
	}
	return s
}

// unicodeForm is one of the NFC, NFD, NFKC, NFKD normalizers. The code
// points of hfNormUnassigned are kept as they are and the text between them
// normalized on its own, which is what normalizing with them unassigned
// gives: a starter that neither decomposes nor composes ends every
// reordering and composition.
type unicodeForm struct{ form norm.Form }

func (u unicodeForm) normalize(s string) string {
	i := indexHFUnassigned(s)
	if i < 0 {
		return u.form.String(s)
	}
	var b strings.Builder
	for i >= 0 {
		b.WriteString(u.form.String(s[:i]))
		_, n := utf8.DecodeRuneInString(s[i:])
		b.WriteString(s[i : i+n])
		s = s[i+n:]
		i = indexHFUnassigned(s)
	}
	b.WriteString(u.form.String(s))
	return b.String()
}

// indexHFUnassigned returns the byte index of the first code point of s in
// hfNormUnassigned, or -1.
func indexHFUnassigned(s string) int {
	for i, r := range s {
		if r >= 0x7FD && unicode.Is(hfNormUnassigned, r) {
			return i
		}
	}
	return -1
}

// hfNormUnassigned lists the code points that the tokenizers library's
// normalizers (NFC, NFD, NFKC, NFKD, from an older Unicode than
// golang.org/x/text's) treat as unassigned: starters with no decomposition
// that compose with nothing. x/text knows them, as combining marks
// (U+07FD, U+1ABF..), compatibility characters (U+32FF "㋿" -> "令和",
// U+1FBF0.. segmented digits -> "0"..) or canonical pairs (U+11935 U+11930
// -> U+11938). Found by comparing, for every code point c, the library's
// four forms of c, "a\u0316"+c, "a"+c+"\u0316", c+"\u0301", "a"+c,
// c+"\u0334", "\u1100"+c, c+"\u1161" and "e"+c with x/text's (tokenizers
// 0.22.2 and 0.23.3 agree).
var hfNormUnassigned = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0x07FD, 0x07FD, 1},
		{0x0898, 0x089F, 1},
		{0x08CA, 0x08D3, 1},
		{0x09FE, 0x09FE, 1},
		{0x0C3C, 0x0C3C, 1},
		{0x0D3B, 0x0D3C, 1},
		{0x0EBA, 0x0EBA, 1},
		{0x1715, 0x1715, 1},
		{0x1ABF, 0x1ACE, 1},
		{0x1DF6, 0x1DFA, 1},
		{0x32FF, 0x32FF, 1},
		{0xA7F2, 0xA7F4, 1},
		{0xA82C, 0xA82C, 1},
		{0xAB69, 0xAB69, 1},
	},
	R32: []unicode.Range32{
		{0x10781, 0x10785, 1},
		{0x10787, 0x107B0, 1},
		{0x107B2, 0x107BA, 1},
		{0x10D24, 0x10D27, 1},
		{0x10EAB, 0x10EAC, 1},
		{0x10EFD, 0x10EFF, 1},
		{0x10F46, 0x10F50, 1},
		{0x10F82, 0x10F85, 1},
		{0x11070, 0x11070, 1},
		{0x1133B, 0x1133B, 1},
		{0x1145E, 0x1145E, 1},
		{0x11839, 0x1183A, 1},
		{0x11935, 0x11935, 1},
		{0x11938, 0x11938, 1},
		{0x1193D, 0x1193E, 1},
		{0x11943, 0x11943, 1},
		{0x119E0, 0x119E0, 1},
		{0x11A34, 0x11A34, 1},
		{0x11A47, 0x11A47, 1},
		{0x11A99, 0x11A99, 1},
		{0x11D42, 0x11D42, 1},
		{0x11D44, 0x11D45, 1},
		{0x11D97, 0x11D97, 1},
		{0x11F41, 0x11F42, 1},
		{0x16FF0, 0x16FF1, 1},
		{0x1E030, 0x1E06D, 1},
		{0x1E08F, 0x1E08F, 1},
		{0x1E130, 0x1E136, 1},
		{0x1E2AE, 0x1E2AE, 1},
		{0x1E2EC, 0x1E2EF, 1},
		{0x1E4EC, 0x1E4EF, 1},
		{0x1F16C, 0x1F16C, 1},
		{0x1FBF0, 0x1FBF9, 1},
	},
}

// prepend adds a prefix to non-empty text.
type prepend string

func (p prepend) normalize(s string) string {
	if s == "" {
		return s
	}
	return string(p) + s
}

// replace substitutes content for every match of a pattern.
type replace struct {
	pat     pattern
	content string
}

// An empty match inserts content, as in Hugging Face ("(?=a)" -> "Z" turns
// "banana" into "bZanZanZa").
func (r replace) normalize(s string) string {
	ms := r.pat.findAll(s)
	if len(ms) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		b.WriteString(s[last:m[0]])
		b.WriteString(r.content)
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// strip removes white space at either end.
type strip struct{ left, right bool }

func (st strip) normalize(s string) string {
	if st.left {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if st.right {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return s
}
