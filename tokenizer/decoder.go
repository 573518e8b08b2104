package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// decoder turns the list of token strings back into text, step by step, as
// Hugging Face's Decoder::decode_chain does; the final text is the
// concatenation of what the last step returns.
type decoder interface {
	decode(tokens []string) []string
}

// newDecoder builds the decoder described by raw; nil means none.
func newDecoder(raw json.RawMessage) (decoder, error) {
	if isNull(raw) {
		return nil, nil
	}
	typ, err := componentType(raw)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "Sequence":
		seq, err := parseSequence(raw, "decoders", newDecoder)
		return decoderSeq(seq), err
	case "ByteLevel":
		return byteLevelDecoder{}, nil
	case "ByteFallback":
		return byteFallbackDecoder{}, nil
	case "Fuse":
		return fuseDecoder{}, nil
	case "Strip":
		var j struct {
			Content string `json:"content"`
			Start   int    `json:"start"`
			Stop    int    `json:"stop"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("Strip: %w", err)
		}
		c, size := utf8.DecodeRuneInString(j.Content)
		if size == 0 || size != len(j.Content) || j.Start < 0 || j.Stop < 0 {
			return nil, fmt.Errorf("Strip: content %q must be one character, start/stop >= 0", j.Content)
		}
		return stripDecoder{content: c, start: j.Start, stop: j.Stop}, nil
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
		return replaceDecoder{replace{pat: pat, content: j.Content}}, nil
	case "Metaspace":
		m, err := parseMetaspace(raw)
		if err != nil {
			return nil, fmt.Errorf("Metaspace: %w", err)
		}
		return metaspaceDecoder{replacement: []rune(m.replacement)[0], prefixed: m.prepend != "never"}, nil
	}
	return nil, fmt.Errorf("decoder type %q is not supported", typ)
}

// decoderSeq chains decoders.
type decoderSeq []decoder

func (q decoderSeq) decode(tokens []string) []string {
	for _, d := range q {
		tokens = d.decode(tokens)
	}
	return tokens
}

// byteLevelDecoder maps byte-level characters back to bytes. A token with a
// character outside the alphabet (an added token like "<｜begin▁of▁sentence｜>")
// contributes its own UTF-8 bytes.
type byteLevelDecoder struct{}

func (byteLevelDecoder) decode(tokens []string) []string {
	var buf []byte
	for _, t := range tokens {
		if b, ok := byteLevelDecode(t); ok {
			buf = append(buf, b...)
		} else {
			buf = append(buf, t...)
		}
	}
	return []string{validUTF8(string(buf))}
}

// byteFallbackDecoder turns runs of <0xNN> tokens into the text their bytes
// spell, or one U+FFFD per byte when the run is not valid UTF-8.
type byteFallbackDecoder struct{}

func (byteFallbackDecoder) decode(tokens []string) []string {
	out := make([]string, 0, len(tokens))
	var run []byte
	flush := func() {
		if len(run) == 0 {
			return
		}
		if utf8.Valid(run) {
			out = append(out, string(run))
		} else {
			for range run {
				out = append(out, "\uFFFD")
			}
		}
		run = run[:0]
	}
	for _, t := range tokens {
		if b, ok := fallbackByte(t); ok {
			run = append(run, b)
			continue
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out
}

// fallbackByte parses a "<0xNN>" token like Hugging Face does (Rust's
// u8::from_str_radix, which also accepts a leading '+').
func fallbackByte(t string) (byte, bool) {
	if len(t) != 6 || !strings.HasPrefix(t, "<0x") || t[5] != '>' {
		return 0, false
	}
	digits := t[3:5]
	if digits[0] == '+' {
		digits = digits[1:]
	}
	var v byte
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v*16 + d
	}
	return v, true
}

// fuseDecoder joins all tokens into one.
type fuseDecoder struct{}

func (fuseDecoder) decode(tokens []string) []string {
	return []string{strings.Join(tokens, "")}
}

// stripDecoder removes up to start leading and stop trailing copies of
// content from every token.
type stripDecoder struct {
	content     rune
	start, stop int
}

func (s stripDecoder) decode(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		chars := []rune(t)
		a := 0
		for a < s.start && a < len(chars) && chars[a] == s.content {
			a++
		}
		b := len(chars)
		for k := 0; k < s.stop && b > a && chars[b-1] == s.content; k++ {
			b--
		}
		out[i] = string(chars[a:b])
	}
	return out
}

// replaceDecoder applies a Replace to every token.
type replaceDecoder struct{ r replace }

func (d replaceDecoder) decode(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = d.r.normalize(t)
	}
	return out
}

// metaspaceDecoder turns the replacement character back into spaces; in the
// first token it is dropped instead when the pre-tokenizer prepends it.
type metaspaceDecoder struct {
	replacement rune
	prefixed    bool
}

func (m metaspaceDecoder) decode(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		var b strings.Builder
		for _, c := range t {
			switch {
			case c != m.replacement:
				b.WriteRune(c)
			case i == 0 && m.prefixed:
			default:
				b.WriteByte(' ')
			}
		}
		out[i] = b.String()
	}
	return out
}
