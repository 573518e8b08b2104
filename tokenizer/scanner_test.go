package tokenizer

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// scannerAlphabet mixes the characters the pattern treats differently:
// letters (cased, uncased, with marks), numbers of several kinds, white
// space (including Unicode spaces and newlines), symbols and apostrophes.
var scannerAlphabet = []rune("aZsStTrReEvVmMlLdDk'  \t\n\r\v\f\u0085\u00a0\u2009\u3000\u2028" +
	"09١²½Ⅻ.,!?-_(\"#€😀\u200b\u0301éß日本ſKİ" +
	"ǅᾈʰ々あ\u0903\u0308Σσ/")

func randomScannerText(rng *rand.Rand) string {
	var b strings.Builder
	n := rng.IntN(24)
	for range n {
		b.WriteRune(scannerAlphabet[rng.IntN(len(scannerAlphabet))])
	}
	return b.String()
}

// TestScannerMatchesRegex checks each hand-written scanner against regexp2
// running the regex it replaces.
func TestScannerMatchesRegex(t *testing.T) {
	for _, expr := range []string{llama3Pattern, qwenPattern, qwen35Pattern, o200kPattern} {
		re, err := compileRegexp2(expr)
		if err != nil {
			t.Fatal(err)
		}
		sc := knownScanner(expr)
		rng := rand.New(rand.NewPCG(1, 2))
		for range 200000 {
			s := randomScannerText(rng)
			if got, want := sc.findAll(s), re.findAll(s); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("pattern %.20q, text %q: scanner %v, regex %v", expr, s, got, want)
			}
		}
	}
}

// TestContractionCaseFolding checks the (?i) contractions against
// Oniguruma's (and Rust regex's, Python re's) Unicode case folding, in which
// "ſ" (U+017F) matches "s": "'ſ" is a contraction, so "'ſtuff" splits in two.
func TestContractionCaseFolding(t *testing.T) {
	want := [][2]int{{0, 2}, {2, 5}, {5, 9}} // "it", "'ſ", "tuff"
	for _, expr := range []string{llama3Pattern, qwenPattern} {
		re, err := compileRegexp2(expr)
		if err != nil {
			t.Fatal(err)
		}
		for name, p := range map[string]pattern{"scanner": knownScanner(expr), "regexp2": re} {
			if got := p.findAll("it'ſtuff"); !slices.Equal(got, want) {
				t.Errorf("%s %.20q: %v, want %v", name, expr, got, want)
			}
		}
	}
}
