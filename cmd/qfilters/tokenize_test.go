package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// runTokenize runs `qfilters tokenize args...` with stdin and returns stdout.
func runTokenize(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd()
	root.SetArgs(append([]string{"tokenize"}, args...))
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.Execute()
	return out.String(), err
}

type tokenizeCase struct {
	Text           string `json:"text"`
	IDs            []int  `json:"ids"`
	IDsWithSpecial []int  `json:"ids_with_special"`
}

func readTokenizeCases(t *testing.T, name string) []tokenizeCase {
	t.Helper()
	data, err := os.ReadFile(fixture.Path("tokenizers", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var cs []tokenizeCase
	if err := json.Unmarshal(data, &cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// checkTokenize feeds every fixture text as a JSON line and compares ids.
func checkTokenize(t *testing.T, model string, cases []tokenizeCase, want func(tokenizeCase) []int, flags ...string) {
	t.Helper()
	var in strings.Builder
	for _, c := range cases {
		b, _ := json.Marshal(map[string]string{"text": c.Text})
		in.Write(b)
		in.WriteByte('\n')
	}
	out, err := runTokenize(t, in.String(), append([]string{"--model", model}, flags...)...)
	if err != nil {
		t.Fatalf("tokenize: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("got %d output lines for %d input lines", len(lines), len(cases))
	}
	for i, line := range lines {
		var rec struct {
			InputIDs []int `json:"input_ids"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %d: %v: %q", i+1, err, line)
		}
		w := want(cases[i])
		if len(w) == 0 && rec.InputIDs == nil {
			t.Errorf("line %d: input_ids is null, want []", i+1)
		}
		if !slices.Equal(rec.InputIDs, w) {
			t.Errorf("line %d (%.40q): got %v, want %v", i+1, cases[i].Text, rec.InputIDs, w)
		}
	}
}

func TestTokenizeStories260K(t *testing.T) {
	cases := readTokenizeCases(t, "stories260K")
	model := fixture.Stories260K()
	// stories260K's template adds no BOS: both modes give the fixture ids.
	checkTokenize(t, model, cases, func(c tokenizeCase) []int { return c.IDs })
	checkTokenize(t, model, cases, func(c tokenizeCase) []int { return c.IDs }, "--no-special")
}

func TestTokenizeLlama3(t *testing.T) {
	cases := readTokenizeCases(t, "llama3")
	model := filepath.Dir(fixture.Shared(t, "tokenizers", "llama3", "tokenizer.json"))
	checkTokenize(t, model, cases, func(c tokenizeCase) []int { return c.IDsWithSpecial })
	checkTokenize(t, model, cases, func(c tokenizeCase) []int { return c.IDs }, "--no-special")
}

func TestTokenizeBadInput(t *testing.T) {
	model := fixture.Stories260K()
	for _, tc := range []struct{ in, want string }{
		{"{\"text\": \"Once\"}\n{\"text\": 3}\n", "line 2"},
		{"{\"text\": \"Once\"}\nnot json\n", "line 2"},
		{"{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"txt\": \"c\"}\n", `line 3: no "text"`},
		// A blank line (once a panic) is refused by its number.
		{"\n", "line 1: blank line"},
		{"{\"text\": \"a\"}\n \t\r\n", "line 2: blank line"},
	} {
		out, err := runTokenize(t, tc.in, "--model", model)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("input %q: error %v, want one naming %q", tc.in, err, tc.want)
		}
		if n := strings.Count(out, "\n"); n != strings.Count(tc.in, "\n")-1 {
			t.Errorf("input %q: %d lines written before the bad one", tc.in, n)
		}
	}
	if _, err := runTokenize(t, "", "--model", filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing model directory: no error")
	}
	if _, err := runTokenize(t, "", "--revision", "v1"); err == nil || !strings.Contains(err.Error(), "--revision needs --model") {
		t.Errorf("--revision without --model: error %v", err)
	}
	// The last line may lack its newline.
	out, err := runTokenize(t, `{"text": ""}`, "--model", model)
	if err != nil || out != "{\"input_ids\":[]}\n" {
		t.Errorf("unterminated last line: %q, %v", out, err)
	}
}

// TestTokenizeLikeCorpus: tokenize reads a line as the corpus reader does.
// A UTF-8 byte order mark at the start of the input is skipped (it was an
// "invalid JSON" error on line 1 of a file calibrate reads), and a line that
// carries input_ids beside its text has its text tokenized (it was the
// false error `no "text" field`), even when those input_ids are malformed.
// Without --model the embedded stories260K's tokenizer is used.
func TestTokenizeLikeCorpus(t *testing.T) {
	want, err := runTokenize(t, "{\"body\": \"Once upon a time\"}\n{\"text\": \"there was\"}\n", "--text-field", "body")
	if err == nil || !strings.Contains(err.Error(), `line 2: no "body"`) {
		t.Fatalf("text field missing: %q, %v", want, err)
	}
	want, err = runTokenize(t, "{\"text\": \"Once upon a time\"}\n{\"text\": \"there was\"}\n")
	if err != nil || strings.Count(want, "\n") != 2 || strings.Contains(want, "[]") {
		t.Fatalf("plain input: %q, %v", want, err)
	}
	for _, in := range []string{
		"\xef\xbb\xbf{\"text\": \"Once upon a time\"}\r\n{\"text\": \"there was\"}",
		"{\"text\": \"Once upon a time\", \"input_ids\": [1, 2]}\n{\"input_ids\": \"bad\", \"text\": \"there was\"}\n",
		"{\"body\": \"Once upon a time\", \"input_ids\": [-1]}\n{\"body\": \"there was\", \"text\": 3}\n",
	} {
		args := []string{}
		if strings.Contains(in, "body") {
			args = []string{"--text-field", "body"}
		}
		got, err := runTokenize(t, in, args...)
		if err != nil || got != want {
			t.Errorf("input %q: got %q, %v; want %q", in, got, err, want)
		}
	}
	// Compressed standard input is read as a compressed corpus file is.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("{\"text\": \"Once upon a time\"}\n{\"text\": \"there was\"}\n"))
	zw.Close()
	if got, err := runTokenize(t, gz.String()); err != nil || got != want {
		t.Errorf("gzip input: got %q, %v; want %q", got, err, want)
	}
	if _, err := runTokenize(t, "\xfd7zXZ\x00\x00"); err == nil || !strings.Contains(err.Error(), "standard input: xz-compressed") {
		t.Errorf("xz input: error %v", err)
	}
	// A byte order mark anywhere else is no white space.
	if _, err := runTokenize(t, "{\"text\": \"a\"}\n\xef\xbb\xbf{\"text\": \"b\"}\n"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("BOM on line 2: error %v, want one naming line 2", err)
	}
}
