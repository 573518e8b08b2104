package tokenizer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// families2026 are the tokenizers of the 2026 families, as structural
// stand-ins built with the tokenizers library by
// python/goldens/tokenizers2026.py (the published files are not ours to
// carry): each has its family's pipeline and split regex over a small
// trained vocabulary, and lives in testdata/tokenizers/<family>/.
var families2026 = []string{"gpt_oss", "qwen3_5", "llama4", "tekken", "gemma4", "cohere2"}

// autoDiffers lists, per family, the texts on which transformers 5.2's
// AutoTokenizer does not follow tokenizer.json. Qwen 3.5's
// tokenizer_config.json names Qwen2Tokenizer (as the published checkpoints
// do), and transformers rebuilds that class's pre-tokenizer with Qwen 2's
// regex, dropping Qwen 3.5's \p{M}: text with combining marks splits
// differently. Load follows tokenizer.json there, as the tokenizers library,
// llama.cpp's qwen35 pre-tokenizer and serving engines do.
var autoDiffers = map[string]map[string]bool{
	"qwen3_5": {"नमस्ते दुनिया สวัสดีครับ مرحبا": true},
}

func TestFamilies2026(t *testing.T) {
	for _, fam := range families2026 {
		t.Run(fam, func(t *testing.T) {
			dir := fixture.Path("tokenizers", fam)
			data, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
			if err != nil {
				t.Fatal(err)
			}
			fileTok, err := parse(data)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			tk, err := Load(dir)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var cases []fixtureCase
			readJSON(t, fixture.Path("tokenizers", fam+".json"), &cases)
			var auto struct {
				IDs [][]int `json:"auto_tokenizer_input_ids"`
			}
			readJSON(t, fixture.Path("tokenizers", fam+".auto.json"), &auto)
			if len(cases) < 10 || len(auto.IDs) != len(cases) {
				t.Fatalf("%d cases, %d AutoTokenizer ids", len(cases), len(auto.IDs))
			}
			var bad []string
			seenDiff := 0
			for i, c := range cases {
				if d := diffIDs(fileTok.Encode(c.Text, false), c.IDs); d != "" {
					bad = append(bad, fmt.Sprintf("text %d %q: ids: %s", i, c.Text, d))
				}
				if d := diffIDs(fileTok.Encode(c.Text, true), c.IDsWithSpecial); d != "" {
					bad = append(bad, fmt.Sprintf("text %d %q: ids_with_special: %s", i, c.Text, d))
				}
				if c.Decoded != nil {
					if got := fileTok.Decode(c.IDs, false); got != *c.Decoded {
						bad = append(bad, fmt.Sprintf("text %d %q: Decode = %q, want %q", i, c.Text, got, *c.Decoded))
					}
				}
				got := tk.Encode(c.Text, true)
				if autoDiffers[fam][c.Text] {
					// The divergence must still be there (else this list is
					// stale), and Load must follow tokenizer.json.
					if diffIDs(auto.IDs[i], c.IDsWithSpecial) == "" {
						bad = append(bad, fmt.Sprintf("text %d %q: AutoTokenizer now agrees with tokenizer.json; drop it from autoDiffers", i, c.Text))
					}
					if d := diffIDs(got, c.IDsWithSpecial); d != "" {
						bad = append(bad, fmt.Sprintf("text %d %q: Load differs from tokenizer.json: %s", i, c.Text, d))
					}
					seenDiff++
					continue
				}
				if d := diffIDs(got, auto.IDs[i]); d != "" {
					bad = append(bad, fmt.Sprintf("text %d %q: Load differs from AutoTokenizer: %s", i, c.Text, d))
				}
			}
			if seenDiff != len(autoDiffers[fam]) {
				bad = append(bad, fmt.Sprintf("%d of the %d texts of autoDiffers are in the fixture", seenDiff, len(autoDiffers[fam])))
			}
			if len(bad) > 0 {
				t.Errorf("%d problems over %d texts:\n%s", len(bad), len(cases), strings.Join(bad, "\n"))
			}
		})
	}
}

// TestFamilies2026Scanners: the split regexes of the stand-ins are exactly
// the patterns the hand-written scanners replace, so the fixtures above ran
// through the scanners (TestScannerMatchesRegex checks them against
// regexp2 on random text).
func TestFamilies2026Scanners(t *testing.T) {
	for fam, want := range map[string]string{"gpt_oss": o200kPattern, "llama4": o200kPattern, "qwen3_5": qwen35Pattern} {
		var j struct {
			Pre struct {
				Seq []struct {
					Pattern struct {
						Regex string `json:"Regex"`
					} `json:"pattern"`
				} `json:"pretokenizers"`
			} `json:"pre_tokenizer"`
		}
		readJSON(t, fixture.Path("tokenizers", fam, "tokenizer.json"), &j)
		if len(j.Pre.Seq) == 0 || j.Pre.Seq[0].Pattern.Regex != want || knownScanner(want) == nil {
			t.Errorf("%s: split regex is not the scanned pattern", fam)
		}
	}
}
