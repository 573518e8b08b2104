package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// preTokenizer cuts pieces of normalized text into words for the model.
type preTokenizer interface {
	preTokenize(in []piece) []piece
}

// newPreTokenizer builds the pre-tokenizer described by raw; nil means none.
func newPreTokenizer(raw json.RawMessage) (preTokenizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	typ, err := componentType(raw)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "Sequence":
		seq, err := parseSequence(raw, "pretokenizers", newPreTokenizer)
		if err != nil {
			return nil, err
		}
		for i := 1; i < len(seq); i++ {
			if producesByteLevel(seq[i-1]) {
				return nil, errors.New("Sequence: a pre-tokenizer after ByteLevel is not supported")
			}
		}
		return preTokenizerSeq(seq), nil
	case "Split":
		var j struct {
			Pattern  json.RawMessage `json:"pattern"`
			Behavior string          `json:"behavior"`
			Invert   bool            `json:"invert"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("Split: %w", err)
		}
		pat, err := newPattern(j.Pattern)
		if err != nil {
			return nil, fmt.Errorf("Split: %w", err)
		}
		b, err := parseBehavior(j.Behavior)
		if err != nil {
			return nil, fmt.Errorf("Split: %w", err)
		}
		return &splitPT{pat: pat, behavior: b, invert: j.Invert}, nil
	case "ByteLevel":
		var j struct {
			AddPrefixSpace bool  `json:"add_prefix_space"`
			UseRegex       *bool `json:"use_regex"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("ByteLevel: %w", err)
		}
		b := &byteLevelPT{addPrefixSpace: j.AddPrefixSpace}
		if j.UseRegex == nil || *j.UseRegex { // Hugging Face's default is true
			pat, err := compileRegex(gpt2Pattern)
			if err != nil {
				return nil, fmt.Errorf("ByteLevel: %w", err)
			}
			b.split = &splitPT{pat: pat, behavior: isolated}
		}
		return b, nil
	case "Digits":
		return parseDigits(raw)
	case "Metaspace":
		m, err := parseMetaspace(raw)
		if err != nil {
			return nil, fmt.Errorf("Metaspace: %w", err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("pre-tokenizer type %q is not supported", typ)
}

// producesByteLevel reports whether p ends with the ByteLevel pre-tokenizer,
// whose byte-to-character mapping the BPE model then applies itself.
func producesByteLevel(p preTokenizer) bool {
	switch p := p.(type) {
	case *byteLevelPT:
		return true
	case preTokenizerSeq:
		return len(p) > 0 && producesByteLevel(p[len(p)-1])
	}
	return false
}

// preTokenizerSeq runs pre-tokenizers in order.
type preTokenizerSeq []preTokenizer

func (q preTokenizerSeq) preTokenize(in []piece) []piece {
	for _, p := range q {
		in = p.preTokenize(in)
	}
	return in
}

// behavior says what a Split does with the text its pattern matches.
type behavior int

const (
	removed behavior = iota
	isolated
	mergedWithPrevious
	mergedWithNext
	contiguous
)

func parseBehavior(s string) (behavior, error) {
	switch s {
	case "Removed":
		return removed, nil
	case "Isolated":
		return isolated, nil
	case "MergedWithPrevious":
		return mergedWithPrevious, nil
	case "MergedWithNext":
		return mergedWithNext, nil
	case "Contiguous":
		return contiguous, nil
	}
	return 0, fmt.Errorf("split behavior %q is not supported", s)
}

// splitPT is the Split pre-tokenizer.
type splitPT struct {
	pat      pattern
	behavior behavior
	invert   bool
}

func (sp *splitPT) preTokenize(in []piece) []piece {
	out := make([]piece, 0, len(in)*4)
	for _, p := range in {
		out = splitPiece(p, sp.pat.findAll(p.text), sp.behavior, sp.invert, out)
	}
	return out
}

// span is a stretch of a piece and whether the pattern matched it.
type span struct {
	a, b  int
	match bool
}

// splitPiece cuts p at the pattern matches ms and appends the non-empty parts
// to out, following Hugging Face's NormalizedString::split. Empty matches
// (a pattern such as "(?=a)" or "\s*") count: they cut the text where they
// are, and a merging behavior sees them as matches.
func splitPiece(p piece, ms [][2]int, b behavior, invert bool, out []piece) []piece {
	s := p.text
	if s == "" {
		return out
	}
	if len(ms) == 0 && !invert && b != removed {
		return append(out, p)
	}
	// Pattern::find_matches: the text as contiguous spans, with the matches
	// (empty ones included) flagged; Invert flips the flags.
	spans := make([]span, 0, 2*len(ms)+1)
	prev := 0
	for _, m := range ms {
		if prev != m[0] {
			spans = append(spans, span{prev, m[0], invert})
		}
		spans = append(spans, span{m[0], m[1], !invert})
		prev = m[1]
	}
	if prev != len(s) {
		spans = append(spans, span{prev, len(s), invert})
	}
	// Each behavior folds the spans into the pieces to keep (match false) or
	// to remove (match true), as split does.
	switch b {
	case removed:
	case isolated:
		for i := range spans {
			spans[i].match = false
		}
	case mergedWithPrevious:
		merged := spans[:0:0]
		prevMatch := false
		for _, sp := range spans {
			if sp.match && !prevMatch && len(merged) > 0 {
				merged[len(merged)-1].b = sp.b
			} else {
				merged = append(merged, span{sp.a, sp.b, false})
			}
			prevMatch = sp.match
		}
		spans = merged
	case mergedWithNext:
		var rev []span
		prevMatch := false
		for i := len(spans) - 1; i >= 0; i-- {
			sp := spans[i]
			if sp.match && !prevMatch && len(rev) > 0 {
				rev[len(rev)-1].a = sp.a
			} else {
				rev = append(rev, span{sp.a, sp.b, false})
			}
			prevMatch = sp.match
		}
		slices.Reverse(rev)
		spans = rev
	case contiguous:
		merged := spans[:0:0]
		prevMatch := false
		for _, sp := range spans {
			if sp.match == prevMatch && len(merged) > 0 {
				merged[len(merged)-1].b = sp.b
			} else {
				merged = append(merged, span{sp.a, sp.b, false})
			}
			prevMatch = sp.match
		}
		spans = merged
	}
	for _, sp := range spans {
		if !sp.match && sp.a < sp.b {
			out = append(out, piece{text: s[sp.a:sp.b], id: -1, first: p.first && sp.a == 0})
		}
	}
	return out
}

// gpt2Pattern is the regex of the ByteLevel pre-tokenizer's use_regex.
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// byteLevelPT is the ByteLevel pre-tokenizer. The byte-to-character mapping
// itself is done by the BPE model, which works on the raw bytes.
type byteLevelPT struct {
	addPrefixSpace bool
	split          *splitPT // nil unless use_regex
}

func (bl *byteLevelPT) preTokenize(in []piece) []piece {
	if bl.addPrefixSpace {
		for i := range in {
			if !strings.HasPrefix(in[i].text, " ") {
				in[i].text = " " + in[i].text
			}
		}
	}
	if bl.split != nil {
		return bl.split.preTokenize(in)
	}
	return in
}

// metaspacePT is the Metaspace pre-tokenizer: spaces become the replacement
// character ("▁"), which is prepended per prepend_scheme, and the text is
// split before each replacement character when split is set.
type metaspacePT struct {
	replacement string
	prepend     string // "always", "first" or "never"
	split       bool
}

func parseMetaspace(raw json.RawMessage) (*metaspacePT, error) {
	var j struct {
		Replacement    string `json:"replacement"`
		PrependScheme  string `json:"prepend_scheme"`
		AddPrefixSpace *bool  `json:"add_prefix_space"`
		Split          *bool  `json:"split"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(j.Replacement) != 1 {
		return nil, fmt.Errorf("replacement %q is not one character", j.Replacement)
	}
	m := &metaspacePT{replacement: j.Replacement, prepend: "always", split: true}
	switch {
	case j.PrependScheme != "":
		m.prepend = j.PrependScheme
	case j.AddPrefixSpace != nil && !*j.AddPrefixSpace:
		m.prepend = "never"
	}
	if m.prepend != "always" && m.prepend != "first" && m.prepend != "never" {
		return nil, fmt.Errorf("prepend_scheme %q is not supported", m.prepend)
	}
	if j.Split != nil {
		m.split = *j.Split
	}
	return m, nil
}

func (m *metaspacePT) preTokenize(in []piece) []piece {
	out := make([]piece, 0, len(in)*4)
	for _, p := range in {
		p.text = strings.ReplaceAll(p.text, " ", m.replacement)
		if !strings.HasPrefix(p.text, m.replacement) &&
			(m.prepend == "always" || (m.prepend == "first" && p.first)) {
			p.text = m.replacement + p.text
		}
		if !m.split {
			if p.text != "" {
				out = append(out, p)
			}
			continue
		}
		out = splitPiece(p, literal(m.replacement).findAll(p.text), mergedWithNext, false, out)
	}
	return out
}
