package corpus

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// byteEncode is a toy tokenizer: BOS (1) then one id per byte, offset by 2.
func byteEncode(s string) ([]int, error) {
	ids := []int{1}
	for i := 0; i < len(s); i++ {
		ids = append(ids, int(s[i])+2)
	}
	return ids, nil
}

func openT(t *testing.T, path string) *Reader {
	t.Helper()
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestSelect(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "c.jsonl", strings.Join([]string{
		`{"text": "ab"}`,                      // 3 tokens: skipped
		`{"text": "abcd"}`,                    // 5 tokens: cut to 4
		`{"input_ids": [7, 8, 9]}`,            // skipped
		`{"input_ids": [10, 11, 12, 13, 14]}`, // cut
		`{"text": "abc"}`,                     // exactly 4
		`{"text": "never read"}`,
		`not json: never read either`,
	}, "\n"))
	sel, err := Select(openT(t, p), byteEncode, 300, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := &Selection{
		Seqs:        [][]int{{1, 'a' + 2, 'b' + 2, 'c' + 2}, {10, 11, 12, 13}, {1, 'a' + 2, 'b' + 2, 'c' + 2}},
		DocsSeen:    5,
		DocsSkipped: 2,
		Sources:     []string{p + ":2", p + ":4", p + ":5"},
	}
	if !reflect.DeepEqual(sel, want) {
		t.Fatalf("got  %+v\nwant %+v", sel, want)
	}
	for _, s := range sel.Seqs {
		if cap(s) != 4 {
			t.Errorf("sequence keeps capacity %d, want a copy of 4", cap(s))
		}
	}
}

func TestSelectTooShort(t *testing.T) {
	p := writeFile(t, t.TempDir(), "c.txt", "aaaaaaaaa\n\nbb\n\nccccccccccc\n\nd\n")
	_, err := Select(openT(t, p), byteEncode, 300, 10, 20)
	wantErr(t, err, "corpus "+p+" has 2 documents of >= 10 tokens, need 20 (4 documents seen, longest 12 tokens); lower --seq-len or --num-seqs")
}

func TestSelectEmpty(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "c.jsonl", "\n\n  \n")
	_, err := Select(openT(t, p), byteEncode, 300, 4, 1)
	wantErr(t, err, "corpus "+p+" has no documents")
	q := writeFile(t, dir, "e.txt", "")
	_, err = Select(openT(t, q), byteEncode, 300, 4, 1)
	wantErr(t, err, "corpus "+q+" has no documents")
}

func TestSelectIDsOutOfRange(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "c.jsonl", `{"input_ids": [1, 2, 3]}`+"\n"+`{"input_ids": [1, 50, 3]}`+"\n")
	_, err := Select(openT(t, p), byteEncode, 50, 2, 5)
	wantErr(t, err, p+":2: token id 50 at position 1 (input_ids) is outside the vocabulary [0, 50)")
	// Tokenizer output is checked too.
	q := writeFile(t, dir, "t.txt", "abc")
	_, err = Select(openT(t, q), func(string) ([]int, error) { return []int{0, -1}, nil }, 50, 2, 1)
	wantErr(t, err, q+":1: token id -1 at position 1 (tokenizer output)")
}

func TestSelectErrors(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "c.jsonl", `{"text": "abcdef"}`+"\n"+`{"text": 5}`+"\n")
	_, err := Select(openT(t, p), byteEncode, 300, 4, 2)
	wantErr(t, err, p+":2: field \"text\" is a number")
	_, err = Select(openT(t, p), nil, 300, 4, 1)
	wantErr(t, err, p+":1: text document but no tokenizer")
	// An encoder that fails stops the selection at the first text document,
	// before the malformed line 2 is read.
	_, err = Select(openT(t, p), func(string) ([]int, error) { return nil, errors.New("no tokenizer here") }, 300, 4, 2)
	wantErr(t, err, "no tokenizer here")
	for _, args := range [][3]int{{0, 4, 1}, {300, 0, 1}, {300, 4, 0}} {
		_, err = Select(openT(t, p), byteEncode, args[0], args[1], args[2])
		wantErr(t, err, "must be positive")
	}
}

func TestSelectRealCorpus(t *testing.T) {
	p := fixture.StoriesCorpus()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the corpus the repository carries is missing: %v", err)
	}
	sel, err := Select(openT(t, p), byteEncode, 300, 64, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Seqs) != 10 || sel.DocsSeen < 10 {
		t.Fatalf("got %d seqs from %d docs", len(sel.Seqs), sel.DocsSeen)
	}
	_, err = Select(openT(t, p), byteEncode, 300, 1<<20, 1)
	wantErr(t, err, "has 0 documents of >= 1048576 tokens, need 1 (96 documents seen, longest ")
}

// TestSelectHeldOut: the first documents are skipped (even long ones), up to
// numSeqs are kept, fewer is fine, none is an error saying why.
func TestSelectHeldOut(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "c.jsonl", strings.Join([]string{
		`{"input_ids": [1, 2, 3, 4]}`, // skipped: calibration's
		`{"input_ids": [5, 6, 7, 8]}`, // skipped: calibration's
		`{"input_ids": [9]}`,          // too short
		`{"input_ids": [10, 11, 12, 13, 14]}`,
	}, "\n"))
	sel, err := SelectHeldOut(openT(t, p), nil, 100, 4, 5, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sel.Seqs, [][]int{{10, 11, 12, 13}}) || sel.DocsSeen != 4 || sel.Sources[0] != p+":4" {
		t.Errorf("got %+v", sel)
	}
	if _, err := SelectHeldOut(openT(t, p), nil, 100, 4, 5, 4); err == nil || !strings.Contains(err.Error(), "all skipped by --skip-docs 4") {
		t.Errorf("everything skipped: %v", err)
	}
	if _, err := SelectHeldOut(openT(t, p), nil, 100, 9, 5, 2); err == nil || !strings.Contains(err.Error(), "2 documents seen after skipping 2, longest 5 tokens): give --seq-len 5 or less") {
		t.Errorf("nothing long enough: %v", err)
	}
}
