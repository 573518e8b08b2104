package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// families are the tokenizers with full fixtures.
var families = []string{"llama3", "llama3_3", "qwen3", "deepseek_v3", "llama2", "mistral"}

// fixtureCase is one text of testdata/tokenizers/<family>.json.
type fixtureCase struct {
	Text           string  `json:"text"`
	IDs            []int   `json:"ids"`
	IDsWithSpecial []int   `json:"ids_with_special"`
	Offsets        [][]int `json:"offsets"`
	Decoded        *string `json:"decoded"`
}

var (
	loadedMu sync.Mutex
	loaded   = map[string]*Tokenizer{}
	fileOnly = map[string]*Tokenizer{}
)

// loadFamily loads (once per test binary) a family's tokenizer as Load does:
// tokenizer.json with its tokenizer_config.json, as transformers'
// AutoTokenizer builds it.
func loadFamily(t testing.TB, family string) *Tokenizer {
	t.Helper()
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if tk, ok := loaded[family]; ok {
		return tk
	}
	dir := fixture.Stories260K()
	if family != "stories260K" {
		dir = fixture.Shared(t, "tokenizers", family, "tokenizer.json")
		dir = filepath.Dir(dir)
	}
	tk, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(%s): %v", dir, err)
	}
	loaded[family] = tk
	return tk
}

// loadFile loads (once per test binary) a family's tokenizer.json alone, as
// the tokenizers library's Tokenizer.from_file does: no tokenizer_config.json.
func loadFile(t testing.TB, family string) *Tokenizer {
	t.Helper()
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if tk, ok := fileOnly[family]; ok {
		return tk
	}
	path := fixture.Shared(t, "tokenizers", family, "tokenizer.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := parse(data)
	if err != nil {
		t.Fatalf("parse(%s): %v", path, err)
	}
	fileOnly[family] = tk
	return tk
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading fixture: %v", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
}

// diffIDs describes the first difference between two id lists, or "".
func diffIDs(got, want []int) string {
	if slices.Equal(got, want) {
		return ""
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	g, w := "end", "end"
	if i < len(got) {
		g = fmt.Sprint(got[i])
	}
	if i < len(want) {
		w = fmt.Sprint(want[i])
	}
	return fmt.Sprintf("first difference at position %d: got %s, want %s (got %d ids, want %d)", i, g, w, len(got), len(want))
}

// TestFixtures compares tokenizer.json alone with the tokenizers library.
func TestFixtures(t *testing.T) {
	for _, fam := range families {
		t.Run(fam, func(t *testing.T) {
			tk := loadFile(t, fam)
			var cases []fixtureCase
			readJSON(t, fixture.Path("tokenizers", fam+".json"), &cases)
			pass := 0
			for i, c := range cases {
				ok := true
				if d := diffIDs(tk.Encode(c.Text, false), c.IDs); d != "" {
					t.Errorf("text %d %q: ids: %s", i, c.Text, d)
					ok = false
				}
				if d := diffIDs(tk.Encode(c.Text, true), c.IDsWithSpecial); d != "" {
					t.Errorf("text %d %q: ids_with_special: %s", i, c.Text, d)
					ok = false
				}
				if c.Decoded != nil {
					if got := tk.Decode(c.IDs, false); got != *c.Decoded {
						t.Errorf("text %d %q: Decode = %q, want %q", i, c.Text, got, *c.Decoded)
						ok = false
					}
				}
				if ok {
					pass++
				}
			}
			t.Logf("%s: %d/%d texts pass", fam, pass, len(cases))
		})
	}
}

// TestAutoTokenizerFixtures compares Load (tokenizer.json with its
// tokenizer_config.json) with what transformers' AutoTokenizer(text)
// ["input_ids"] gave for the first texts: the ids the reference script feeds
// the model. Every mismatch fails, and the failure lists them all.
func TestAutoTokenizerFixtures(t *testing.T) {
	for _, fam := range families {
		t.Run(fam, func(t *testing.T) {
			if fam == "deepseek_v3" {
				// deepseek_v3.auto.json is broken and not asserted: transformers
				// gave the same ids, starting [42, 6629, 10030], for "Hello
				// world", " Hello world" and the spaced text. It was made from
				// the tokenizer files alone, where transformers rebuilds this
				// byte-level vocabulary, under the LlamaTokenizerFast class its
				// config names, as a Metaspace tokenizer. Load keeps the file's
				// own pipeline for byte-level files, so it must agree with the
				// tokenizers library here.
				tk := loadFamily(t, fam)
				var cases []fixtureCase
				readJSON(t, fixture.Path("tokenizers", fam+".json"), &cases)
				for i, c := range cases {
					if d := diffIDs(tk.Encode(c.Text, true), c.IDsWithSpecial); d != "" {
						t.Errorf("text %d %q: Load differs from tokenizer.json: %s", i, c.Text, d)
					}
				}
				t.Skip("deepseek_v3.auto.json is broken (the same ids for different texts); checked against the tokenizers library instead")
			}
			tk := loadFamily(t, fam)
			var cases []fixtureCase
			readJSON(t, fixture.Path("tokenizers", fam+".json"), &cases)
			var auto struct {
				IDs [][]int `json:"auto_tokenizer_input_ids"`
			}
			readJSON(t, fixture.Path("tokenizers", fam+".auto.json"), &auto)
			if len(auto.IDs) == 0 || len(auto.IDs) > len(cases) {
				t.Fatalf("%d auto_tokenizer_input_ids for %d texts", len(auto.IDs), len(cases))
			}
			var bad []string
			for i, want := range auto.IDs {
				if d := diffIDs(tk.Encode(cases[i].Text, true), want); d != "" {
					bad = append(bad, fmt.Sprintf("text %d %q: %s", i, cases[i].Text, d))
				}
			}
			if len(bad) > 0 {
				t.Errorf("%d of %d texts differ from AutoTokenizer:\n%s", len(bad), len(auto.IDs), strings.Join(bad, "\n"))
			}
		})
	}
}

func TestStories260K(t *testing.T) {
	tk := loadFamily(t, "stories260K")
	var cases []fixtureCase
	readJSON(t, fixture.Path("tokenizers", "stories260K.json"), &cases)
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	// The fixture's ids carry no BOS, and neither does tokenizer(text): the
	// converted tokenizer.json's template is just "$A". So both modes agree.
	if cases[0].IDs[0] == 1 {
		t.Fatalf("fixture now starts with BOS; revisit this test")
	}
	pass := 0
	for i, c := range cases {
		ok := true
		for _, special := range []bool{false, true} {
			if d := diffIDs(tk.Encode(c.Text, special), c.IDs); d != "" {
				t.Errorf("text %d (addSpecial=%v) %.40q: %s", i, special, c.Text, d)
				ok = false
			}
		}
		if got := tk.Decode(c.IDs, false); got != c.Text {
			t.Errorf("text %d: Decode = %.60q, want %.60q", i, got, c.Text)
			ok = false
		}
		if ok {
			pass++
		}
	}
	t.Logf("stories260K: %d/%d texts pass", pass, len(cases))
}
