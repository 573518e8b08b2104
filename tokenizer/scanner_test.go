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
	"09١²½Ⅻ.,!?-_(\"#€😀\u200b\u0301éß日本ſKİ")

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
	for _, expr := range []string{llama3Pattern, qwenPattern} {
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
