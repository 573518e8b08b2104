package corpus

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func gzipped(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zstded(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func readDocs(t *testing.T, path string) ([]Document, error) {
	t.Helper()
	r, err := Open(path, Options{})
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
		d.Source = ""
		docs = append(docs, d)
	}
}

// TestCompressedCorpora: .jsonl.gz, .jsonl.zst, .json.gz and .txt.gz give
// the documents of the plain file, the compression found by content (a
// gzip file named .jsonl is read too); a truncated stream is an error
// naming the file.
func TestCompressedCorpora(t *testing.T) {
	dir := t.TempDir()
	jsonl := []byte("{\"text\": \"one story\"}\n{\"input_ids\": [1, 2, 3]}\n{\"text\": \"two\"}\n")
	text := []byte("first document\nstill first\n\nsecond document\n")
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		plain string
		data  []byte
	}{{"c.jsonl", jsonl}, {"c.txt", text}} {
		want, err := readDocs(t, write(c.plain, c.data))
		if err != nil || len(want) == 0 {
			t.Fatalf("%s: %v", c.plain, err)
		}
		for name, b := range map[string][]byte{
			c.plain + ".gz":       gzipped(t, c.data),
			c.plain + ".zst":      zstded(t, c.data),
			c.plain + ".zstd":     zstded(t, c.data),
			"misnamed-" + c.plain: gzipped(t, c.data),
		} {
			got, err := readDocs(t, write(name, b))
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %v, %+v, want %+v", name, err, got, want)
			}
		}
	}
	gz := gzipped(t, bytes.Repeat(jsonl, 200))
	p := write("cut.jsonl.gz", gz[:len(gz)/2])
	if _, err := readDocs(t, p); err == nil || !strings.Contains(err.Error(), "cut.jsonl.gz") || !strings.Contains(err.Error(), "gzip (corrupt or truncated)") {
		t.Errorf("truncated gzip: %v", err)
	}
	// A directory lists compressed files with the plain ones.
	files, err := dirFiles(dir)
	if err != nil || len(files) != 11 {
		t.Errorf("directory: %d files %v (%v)", len(files), files, err)
	}
	if formatOf("x.parquet.gz") != formatUnknown {
		t.Error("a compressed Parquet file is accepted")
	}
}

// TestJSONArrayFile: a .json file holding one array of objects reads as
// the same documents as its JSON Lines twin; a bad element is named by its
// index, a cut array is said to be.
func TestJSONArrayFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.jsonl"), []byte("{\"text\": \"one\"}\n{\"input_ids\": [4, 5]}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.json"), []byte(" \n[{\"text\": \"one\"},\n {\"input_ids\": [4, 5]}]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "c.json.gz"), gzipped(t, []byte(`[{"text": "one"}, {"input_ids": [4, 5]}]`)), 0o644)
	want, err := readDocs(t, filepath.Join(dir, "a.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"b.json", "c.json.gz"} {
		if got, err := readDocs(t, filepath.Join(dir, name)); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v %+v", name, err, got)
		}
	}
	for content, msg := range map[string]string{
		`[{"text": "one"}, 3]`:          "[1]: not a JSON object",
		`[{"text": "one"}, {"text": "t`: "[1]: the JSON array ends early",
		`[{"text": "one"}] {}`:          "content after the array's closing ]",
		`[{"txt": "one"}]`:              "[0]: ",
	} {
		p := filepath.Join(dir, "bad.json")
		os.WriteFile(p, []byte(content), 0o644)
		if _, err := readDocs(t, p); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", content, err, msg)
		}
	}
}
