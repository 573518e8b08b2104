package corpus

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// readAll reads every document of path, failing the test on error.
func readAll(t *testing.T, path string, opt Options) []Document {
	t.Helper()
	docs, err := tryReadAll(path, opt)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return docs
}

func tryReadAll(path string, opt Options) ([]Document, error) {
	r, err := Open(path, opt)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var docs []Document
	for {
		d, err := r.Next()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		docs = append(docs, d)
	}
}

func texts(docs []Document) []string {
	var s []string
	for _, d := range docs {
		s = append(s, d.Text)
	}
	return s
}

// wantErr checks that err is non-nil and contains every fragment.
func wantErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not contain %q", err, f)
		}
	}
}

func TestJSONLines(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "c.jsonl", "\ufeff"+`{"text": "first", "other": 1}`+"\n\n  \n"+
		`{"text": "second\nline", "input_ids": [5, 6, 7]}`+"\r\n"+
		`{"input_ids": []}`+"\n"+
		`{"text": "\u00e9\ud83d\ude00 \"q\" \\ \/"}`+"\n"+
		`{"text": "", "input_ids": null}`+"\n"+
		`  {"text": "last, no newline"}  `)
	docs := readAll(t, p, Options{})
	want := []Document{
		{Text: "first", Source: p + ":1"},
		{IDs: []int{5, 6, 7}, Source: p + ":4"},
		{IDs: []int{}, Source: p + ":5"},
		{Text: "é😀 \"q\" \\ /", Source: p + ":6"},
		{Text: "", Source: p + ":7"},
		{Text: "last, no newline", Source: p + ":8"},
	}
	if !reflect.DeepEqual(docs, want) {
		t.Fatalf("got  %#v\nwant %#v", docs, want)
	}
}

func TestJSONLinesTextField(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "c.jsonl", `{"text": "no", "content": "yes"}`+"\n")
	docs := readAll(t, p, Options{TextField: "content"})
	if len(docs) != 1 || docs[0].Text != "yes" {
		t.Fatalf("got %#v", docs)
	}
	p2 := writeFile(t, dir, "d.jsonl", `{"text": "x"}`+"\n")
	_, err := tryReadAll(p2, Options{TextField: "content"})
	wantErr(t, err, p2+":1: ", `"content"`, `"text"`)
}

func TestJSONLinesInvalidUTF8Kept(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "c.jsonl", "{\"text\": \"a\xff\xfeb\\n\"}\n{\"text\": \"\\ud800x\"}\n")
	docs := readAll(t, p, Options{})
	if got := texts(docs); !reflect.DeepEqual(got, []string{"a\xff\xfeb\n", "\ufffdx"}) {
		t.Fatalf("got %q", got)
	}
}

func TestJSONLinesErrors(t *testing.T) {
	cases := []struct {
		name, content string
		want          []string
	}{
		{"truncated", "{\"text\": \"a\"}\n\n{\"text\": \"b\"", []string{":3: invalid JSON: unexpected end of JSON input"}},
		{"syntax", "{\"text\": \"a\"}\n{text: 1}\n", []string{":2: invalid JSON: invalid character 't'"}},
		{"array", "[1, 2]\n", []string{":1: not a JSON object (got an array)"}},
		{"string", "\"hello\"\n", []string{":1: not a JSON object (got a string)"}},
		{"missing", "{\"txt\": \"a\"}\n", []string{":1: no \"text\" string field and no \"input_ids\" array", `"txt"`}},
		{"text wrong type", "{\"text\": 42}\n", []string{":1: field \"text\" is a number, want a string"}},
		{"text array", "{\"text\": [\"a\"]}\n", []string{":1: field \"text\" is an array, want a string"}},
		{"ids wrong type", "{\"input_ids\": \"1 2\"}\n", []string{":1: field \"input_ids\" is a string, want an array of non-negative integers"}},
		{"ids negative", "{\"input_ids\": [1, -2]}\n", []string{":1: input_ids[1]: -2 is not a non-negative integer"}},
		{"ids float", "{\"input_ids\": [1.5]}\n", []string{":1: input_ids[0]: 1.5 is not a non-negative integer"}},
		{"ids string elem", "{\"input_ids\": [\"3\"]}\n", []string{":1: input_ids[0]: \"3\" is not"}},
		{"ids huge", "{\"input_ids\": [99999999999999999999999]}\n", []string{":1: input_ids[0]: 99999999999999999999999 is out of range"}},
		{"both, ids bad", "{\"text\": \"ok\", \"input_ids\": [true]}\n", []string{":1: input_ids[0]: true is not"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "corpus.jsonl", c.content)
			_, err := tryReadAll(p, Options{})
			wantErr(t, err, c.want...)
			if err != nil && !strings.HasPrefix(err.Error(), p+":") {
				t.Errorf("error %q does not start with %s:", err, p)
			}
		})
	}
}

func TestJSONLinesErrorIsSticky(t *testing.T) {
	p := writeFile(t, t.TempDir(), "c.jsonl", "{\"text\": 1}\n{\"text\": \"fine\"}\n")
	r, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err1 := r.Next()
	_, err2 := r.Next()
	if err1 == nil || err2 == nil || err1.Error() != err2.Error() {
		t.Fatalf("errors %v, %v: want the same error twice", err1, err2)
	}
}

func TestMaxLineBytes(t *testing.T) {
	dir := t.TempDir()
	long := `{"text": "` + strings.Repeat("x", 200) + `"}`
	p := writeFile(t, dir, "c.jsonl", `{"text": "short"}`+"\n"+long+"\n"+`{"text": "after"}`+"\n")
	// Both below and above the bufio buffer size.
	for _, max := range []int{100, 150} {
		docs, err := tryReadAll(p, Options{MaxLineBytes: max})
		wantErr(t, err, p+":2: line longer than", "bytes")
		if len(docs) != 1 {
			t.Errorf("max %d: read %d documents before the error, want 1", max, len(docs))
		}
	}
	// Exactly at the limit is fine, CRLF not counted.
	exact := writeFile(t, dir, "e.jsonl", long+"\r\n"+long)
	if docs := readAll(t, exact, Options{MaxLineBytes: len(long)}); len(docs) != 2 {
		t.Fatalf("got %d docs", len(docs))
	}
	_, err := tryReadAll(exact, Options{MaxLineBytes: len(long) - 1})
	wantErr(t, err, exact+":1: line longer than")
	// A line much longer than the bufio buffer is rejected without reading it all.
	big := writeFile(t, dir, "big.jsonl", `{"text": "`+strings.Repeat("y", 300<<10)+`"}`+"\n")
	_, err = tryReadAll(big, Options{MaxLineBytes: 1000})
	wantErr(t, err, big+":1: line longer than 1000 bytes")
}

func TestText(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "c.txt", "\ufeff\n\nOne upon\na time.\n\n\n  \t\nSecond\r\nstory\r\n \r\nthird \xff\n\n\n")
	docs := readAll(t, p, Options{})
	want := []Document{
		{Text: "One upon\na time.", Source: p + ":3"},
		{Text: "Second\nstory", Source: p + ":8"},
		{Text: "third \xff", Source: p + ":11"},
	}
	if !reflect.DeepEqual(docs, want) {
		t.Fatalf("got  %#v\nwant %#v", docs, want)
	}
	one := writeFile(t, dir, "one.txt", "a\nb\n  c")
	if got := texts(readAll(t, one, Options{})); !reflect.DeepEqual(got, []string{"a\nb\n  c"}) {
		t.Fatalf("got %q", got)
	}
	blank := writeFile(t, dir, "blank.txt", " \n\t\n\n")
	if docs := readAll(t, blank, Options{}); len(docs) != 0 {
		t.Fatalf("whitespace-only file gave %q", texts(docs))
	}
	long := writeFile(t, dir, "long.txt", "short\n\naaaa\nbbbb\ncccc\n")
	_, err := tryReadAll(long, Options{MaxLineBytes: 10})
	wantErr(t, err, long+":5: document starting at line 3 longer than 10 bytes")
}

func TestDirectoryOrder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "b.jsonl", `{"text": "b1"}`+"\n"+`{"text": "b2"}`+"\n")
	writeFile(t, dir, "a.txt", "a1\n\na2\n")
	writeFile(t, dir, "c.json", `{"text": "c1"}`)
	writeFile(t, dir, "README.md", "not a corpus file")
	writeFile(t, dir, "notes", "no extension")
	if err := os.Mkdir(filepath.Join(dir, "sub.jsonl"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "sub.jsonl"), "x.jsonl", `{"text": "nested"}`)
	docs := readAll(t, dir, Options{})
	if got := texts(docs); !reflect.DeepEqual(got, []string{"a1", "a2", "b1", "b2", "c1"}) {
		t.Fatalf("got %q", got)
	}
	r, _ := Open(dir, Options{})
	wantFiles := []string{filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.jsonl"), filepath.Join(dir, "c.json")}
	if !reflect.DeepEqual(r.Files(), wantFiles) {
		t.Errorf("Files() = %q, want %q", r.Files(), wantFiles)
	}
}

func TestGlobOrder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "part-10.jsonl", `{"text": "10"}`)
	writeFile(t, dir, "part-02.jsonl", `{"text": "02"}`)
	writeFile(t, dir, "part-01.jsonl", `{"text": "01"}`)
	writeFile(t, dir, "other.jsonl", `{"text": "other"}`)
	docs := readAll(t, filepath.Join(dir, "part-*.jsonl"), Options{})
	if got := texts(docs); !reflect.DeepEqual(got, []string{"01", "02", "10"}) {
		t.Fatalf("got %q", got)
	}
}

// TestHiddenFilesSkipped: a directory or a glob leaves out names starting
// with a dot (macOS's ._name.txt metadata beside name.txt), as a shell's *
// does; a dot pattern or a file named outright is read.
func TestHiddenFilesSkipped(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.txt", "a1\n")
	writeFile(t, dir, "._a.txt", "\x00\x05\x16\x07binary")
	writeFile(t, dir, ".draft.jsonl", `{"text": "draft"}`)
	for _, path := range []string{dir, filepath.Join(dir, "*")} {
		if got := texts(readAll(t, path, Options{})); !reflect.DeepEqual(got, []string{"a1"}) {
			t.Errorf("%s: got %q", path, got)
		}
	}
	for path, want := range map[string][]string{
		filepath.Join(dir, ".*.jsonl"):     {"draft"},
		filepath.Join(dir, ".draft.jsonl"): {"draft"},
	} {
		if got := texts(readAll(t, path, Options{})); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q", path, got)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(filepath.Join(dir, "missing.jsonl"), Options{})
	wantErr(t, err, "missing.jsonl", "no such file")
	_, err = Open(filepath.Join(dir, "*.jsonl"), Options{})
	wantErr(t, err, "*.jsonl", "no files match")
	_, err = Open(dir, Options{})
	wantErr(t, err, "no corpus files", ".jsonl", ".txt", ".parquet")
	writeFile(t, dir, "x.md", "hi")
	_, err = Open(filepath.Join(dir, "x.md"), Options{})
	wantErr(t, err, "unsupported file extension", ".jsonl")
	_, err = Open(filepath.Join(dir, "*.md"), Options{})
	wantErr(t, err, "none is a corpus file", ".jsonl")
	_, err = Open("", Options{})
	wantErr(t, err, "empty corpus path")
}

func TestReaderClose(t *testing.T) {
	p := writeFile(t, t.TempDir(), "c.jsonl", `{"text": "a"}`+"\n"+`{"text": "b"}`)
	r, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("Next after Close: %v", err)
	}
}

func TestEOFRepeats(t *testing.T) {
	p := writeFile(t, t.TempDir(), "c.txt", "a")
	r, _ := Open(p, Options{})
	defer r.Close()
	r.Next()
	for range 3 {
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("got %v, want io.EOF", err)
		}
	}
}

// TestIdentity: a corpus is identified by the documents read from it, in
// order, wherever it lives; what was not read does not count (nor is it
// read).
func TestIdentity(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	writeFile(t, d1, "a.jsonl", `{"text": "a"}`+"\n"+`{"input_ids": [1, 2]}`)
	writeFile(t, d1, "b.txt", "b")
	writeFile(t, d2, "a.jsonl", `{"text": "a", "other": 1}`+"\n"+`{"input_ids": [1,2]}`)
	writeFile(t, d2, "b.txt", "b")
	id := func(dir string, docs int) string {
		t.Helper()
		s, err := Identity(dir, Options{}, docs)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if a, b := id(d1, 3), id(d2, 3); a != b || len(a) != 64 {
		t.Fatalf("same documents in two places: %q vs %q", a, b)
	}
	if id(d1, 1) == id(d1, 2) || id(d1, 2) == id(d1, 3) {
		t.Fatal("identity ignores documents read")
	}
	// A text document and the same bytes split differently hash apart.
	writeFile(t, d2, "b.txt", "c")
	if id(d2, 3) == id(d1, 3) {
		t.Fatal("identity unchanged after content change")
	}
	if id(d2, 2) != id(d1, 2) {
		t.Fatal("a change after the documents read changed the identity")
	}
	r, _ := Open(d1, Options{})
	defer r.Close()
	r.Next()
	if f := r.FilesRead(); len(f) != 1 || f[0] != (File{Name: "a.jsonl", Bytes: 35}) {
		t.Errorf("files read: %+v", f)
	}
	if _, err := Identity(d1, Options{}, 4); err == nil || !strings.Contains(err.Error(), "has 3 documents, fewer than 4") {
		t.Errorf("too few documents: %v", err)
	}
	if _, err := Identity(filepath.Join(d1, "nothing*"), Options{}, 1); err == nil {
		t.Fatal("want error for an empty glob")
	}
}

func TestRealCorpus(t *testing.T) {
	p := fixture.StoriesCorpus()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the corpus the repository carries is missing: %v", err)
	}
	docs := readAll(t, p, Options{})
	if len(docs) != 96 {
		t.Fatalf("read %d documents, want 96", len(docs))
	}
	for _, d := range docs {
		if d.Text == "" || d.IDs != nil {
			t.Fatalf("%s: unexpected document %#v", d.Source, d)
		}
	}
	if docs[95].Source != p+":96" {
		t.Errorf("last source %q", docs[95].Source)
	}
}

// TestParseJSONLineBlank: the exported line parser answers a blank or
// all-space line with an error (it used to index the empty line and panic).
func TestParseJSONLineBlank(t *testing.T) {
	for _, line := range []string{"", "  \t", "\n"} {
		if _, err := ParseJSONLine([]byte(line), ""); err == nil || !strings.Contains(err.Error(), "invalid JSON") {
			t.Errorf("%q: %v, want an invalid-JSON error", line, err)
		}
	}
}
