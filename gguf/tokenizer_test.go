package gguf

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/tokenizer"
)

// TestStoriesTokenizer: the GGUF's SentencePiece vocabulary, encoded by
// scores as llama.cpp does, gives the ids of the Hugging Face tokenizer of
// the same model on every fixture text. The GGUF sets no
// tokenizer.ggml.add_bos_token, so llama.cpp's SPM default applies and
// Encode with special tokens prepends <s> (id 1); the Hugging Face
// tokenizer.json adds none, so the comparison is modulo that one BOS.
func TestStoriesTokenizer(t *testing.T) {
	tok, _, err := LoadTokenizer(storiesPath())
	if err != nil {
		t.Fatal(err)
	}
	hf, err := tokenizer.Load(fixture.Stories260K())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(fixture.Path("tokenizers", "stories260K.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Text string `json:"text"`
		IDs  []int  `json:"ids"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	extra := []string{"", " ", "  leading spaces", "tab\there", "<s>x</s> y", "émoji 🙂 ünïcödé", "a\nb\n\n"}
	for _, c := range cases {
		if got := tok.Encode(c.Text, false); !slices.Equal(got, c.IDs) {
			t.Errorf("%.40q: ids differ from Hugging Face's\n got %v\nwant %v", c.Text, got, c.IDs)
		}
		if got := tok.Encode(c.Text, true); len(got) == 0 || got[0] != 1 || !slices.Equal(got[1:], c.IDs) {
			t.Errorf("%.40q: with special tokens, want <s> then the ids", c.Text)
		}
	}
	for _, s := range extra {
		if got, want := tok.Encode(s, false), hf.Encode(s, false); !slices.Equal(got, want) {
			t.Errorf("%q: %v, Hugging Face's tokenizer gives %v", s, got, want)
		}
	}
	if bos, ok := tok.BOS(); !ok || bos != 1 {
		t.Errorf("BOS %d %v", bos, ok)
	}
	if s := tok.Decode(tok.Encode(cases[0].Text, true), true); s != cases[0].Text {
		t.Errorf("decode: %.60q", s)
	}
}

// FuzzSentencePiece: any text encodes to ids of the vocabulary, and text
// without special tokens decodes back to itself (byte fallback covers every
// character outside the vocabulary).
func FuzzSentencePiece(f *testing.F) {
	tok, _, err := LoadTokenizer(storiesPath())
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"Once upon a time", " x  y ", "日本語 🙂", "\x00\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(s, true)
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("id %d out of range", id)
			}
		}
		if utf8.ValidString(s) && !strings.Contains(s, "<") {
			if got := tok.Decode(tok.Encode(s, false), false); got != s {
				t.Fatalf("%q decodes back as %q", s, got)
			}
		}
	})
}

// TestTokenizerIdentityHashesArrays: the identity covers the values of the
// numeric arrays the tokenizer is built from (SentencePiece scores, token
// types), not only their length: files whose tokenizers merge or split text
// differently never share an identity.
func TestTokenizerIdentityHashesArrays(t *testing.T) {
	good, err := os.ReadFile(storiesPath())
	if err != nil {
		t.Fatal(err)
	}
	id := func(b []byte) string {
		g, err := parse(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		return g.tokenizerIdentity()
	}
	base := id(good)
	for _, key := range []string{"tokenizer.ggml.scores", "tokenizer.ggml.token_type"} {
		b := bytes.Clone(good)
		at := bytes.Index(b, []byte(key)) + len(key) + 4 + 4 + 8 + 4*5 // type, element type, count; the 6th element
		binary.LittleEndian.PutUint32(b[at:], binary.LittleEndian.Uint32(b[at:])^1)
		if id(b) == base {
			t.Errorf("changing one value of %s left the identity unchanged", key)
		}
	}
}
