package tokenizer

import (
	"encoding/json"
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
var families2026 = []string{"gpt_oss", "qwen3_5", "llama4", "tekken", "gemma4", "cohere2", "olmo3", "granite"}

// autoRebuilt: the families whose tokenizer_config.json names a class
// that transformers 5.2's AutoTokenizer rebuilds with its own pre-tokenizer
// instead of tokenizer.json's, and that pre-tokenizer. Qwen 3.5's files name
// Qwen2Tokenizer (as the published checkpoints do): Qwen 2's regex, without
// Qwen 3.5's \p{M}, so text with combining marks splits differently. OLMo
// 2 / 3's name GPT2Tokenizer: GPT-2's regex instead of cl100k's
// (huggingface/transformers#45920, a v5 regression). Load follows
// tokenizer.json, as the tokenizers library, llama.cpp and serving engines
// do; the test checks that AutoTokenizer's ids are exactly those of the
// rebuilt pipeline, and that the two differ on some text.
var autoRebuilt = map[string]string{
	"qwen3_5": `{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":` + jsonString(qwenPattern) +
		`},"behavior":"Isolated","invert":false},{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]}`,
	"olmo3": `{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}`,
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// rebuilt parses tokenizer.json with its pre-tokenizer replaced by pre.
func rebuilt(t *testing.T, data []byte, pre string) *Tokenizer {
	t.Helper()
	var f map[string]json.RawMessage
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	f["pre_tokenizer"] = json.RawMessage(pre)
	out, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := parse(out)
	if err != nil {
		t.Fatalf("rebuilt pipeline: %v", err)
	}
	return tk
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
			var autoTok *Tokenizer
			if pre, ok := autoRebuilt[fam]; ok {
				autoTok = rebuilt(t, data, pre)
			}
			var bad []string
			differ := 0
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
				if autoTok != nil {
					// Load follows tokenizer.json; AutoTokenizer the rebuilt
					// pipeline.
					if d := diffIDs(got, c.IDsWithSpecial); d != "" {
						bad = append(bad, fmt.Sprintf("text %d %q: Load differs from tokenizer.json: %s", i, c.Text, d))
					}
					if d := diffIDs(autoTok.Encode(c.Text, true), auto.IDs[i]); d != "" {
						bad = append(bad, fmt.Sprintf("text %d %q: AutoTokenizer is not the rebuilt pipeline: %s", i, c.Text, d))
					}
					if diffIDs(auto.IDs[i], c.IDsWithSpecial) != "" {
						differ++
					}
					continue
				}
				if d := diffIDs(got, auto.IDs[i]); d != "" {
					bad = append(bad, fmt.Sprintf("text %d %q: Load differs from AutoTokenizer: %s", i, c.Text, d))
				}
			}
			if autoTok != nil && differ == 0 {
				bad = append(bad, "AutoTokenizer now follows tokenizer.json on every text; drop the family from autoRebuilt")
			}
			if autoTok != nil {
				t.Logf("AutoTokenizer (rebuilt pre-tokenizer) differs from tokenizer.json on %d of %d texts", differ, len(cases))
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
