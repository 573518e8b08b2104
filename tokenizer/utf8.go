package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// validUTF8 returns s with every invalid UTF-8 sequence replaced by U+FFFD,
// using the "maximal subpart" rule of Rust's String::from_utf8_lossy and
// Python's errors="replace": a truncated but otherwise well-formed sequence
// becomes a single U+FFFD, any other bad byte becomes one U+FFFD of its own.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			b.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || size > 1 {
			b.WriteString(s[i : i+size])
			i += size
			continue
		}
		b.WriteRune(utf8.RuneError)
		i += invalidLen(s[i:])
	}
	return b.String()
}

// invalidLen returns how many bytes at the start of s (which does not begin
// with a valid UTF-8 sequence) form one maximal invalid subpart.
func invalidLen(s string) int {
	c := s[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(s); k++ {
		d := s[n]
		if k == 0 {
			if d < lo || d > hi {
				break
			}
		} else if d < 0x80 || d > 0xBF {
			break
		}
		n++
	}
	return n
}
