package tokenizer

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// digitsPT is the Digits pre-tokenizer (Cohere's Command R / R7B / A files):
// numeric characters (\p{N}, as Rust's char::is_numeric) are cut out of the
// text, each on its own with individual_digits, else in runs.
type digitsPT struct{ individual bool }

func parseDigits(raw json.RawMessage) (*digitsPT, error) {
	var j struct {
		Individual bool `json:"individual_digits"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("Digits: %w", err)
	}
	return &digitsPT{individual: j.Individual}, nil
}

func (d *digitsPT) preTokenize(in []piece) []piece {
	out := make([]piece, 0, len(in)*2)
	for _, p := range in {
		out = splitPiece(p, d.findAll(p.text), isolated, false, out)
	}
	return out
}

// findAll returns the numeric characters of s, or their runs.
func (d *digitsPT) findAll(s string) [][2]int {
	var ms [][2]int
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if isNumber(r) { // Unicode 16's too, as Rust's
			if !d.individual && len(ms) > 0 && ms[len(ms)-1][1] == i {
				ms[len(ms)-1][1] = i + n
			} else {
				ms = append(ms, [2]int{i, i + n})
			}
		}
		i += n
	}
	return ms
}
