package tokenizer

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// TestComponentsOracle compares each pre-tokenizer and normalizer of
// testdata/tokenizers/components.json (Split with every behavior, invert, and
// patterns that match the empty string or use \b, \w, ^, $; ByteLevel;
// Metaspace with every prepend scheme; Digits; the Unicode normalization
// forms, Strip, Prepend, Replace) with what the tokenizers library makes of
// the same texts (python/goldens/tokenizer_components.py writes the file).
func TestComponentsOracle(t *testing.T) {
	data, err := os.ReadFile(fixture.Path("tokenizers", "components.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Texts      []string `json:"texts"`
		Components []struct {
			Kind string     `json:"kind"`
			JSON string     `json:"json"`
			Out  [][]string `json:"out"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Components) < 100 {
		t.Fatalf("only %d components", len(f.Components))
	}
	for _, c := range f.Components {
		var run func(string) []string
		if c.Kind == "normalizer" {
			n, err := newNormalizer(json.RawMessage(c.JSON))
			if err != nil {
				t.Errorf("%s: %v", c.JSON, err)
				continue
			}
			run = func(s string) []string { return []string{n.normalize(s)} }
		} else {
			p, err := newPreTokenizer(json.RawMessage(c.JSON))
			if err != nil {
				t.Errorf("%s: %v", c.JSON, err)
				continue
			}
			bl := producesByteLevel(p)
			run = func(s string) []string {
				var out []string
				for _, q := range p.preTokenize([]piece{{text: s, id: -1, first: true}}) {
					x := q.text
					if bl { // the library shows byte-level pieces mapped
						x = ""
						for i := 0; i < len(q.text); i++ {
							x += byteToStr[q.text[i]]
						}
					}
					out = append(out, x)
				}
				return out
			}
		}
		bad := 0
		for i, text := range f.Texts {
			if got := run(text); !slices.Equal(got, c.Out[i]) && !(len(got) == 0 && len(c.Out[i]) == 0) {
				if bad++; bad <= 2 {
					t.Errorf("%s on %+q: %+q, want %+q", c.JSON, text, got, c.Out[i])
				}
			}
		}
	}
}
