package corpus

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func writeParquet[T any](t *testing.T, path string, rows []T, opts ...parquet.WriterOption) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

type textRow struct {
	ID   int64  `parquet:"id"`
	Text string `parquet:"text"`
	Meta string `parquet:"meta"`
}

type mixedRow struct {
	Text *string `parquet:"text,optional"`
	IDs  []int32 `parquet:"input_ids,list"`
}

type repeatedRow struct {
	Content string  `parquet:"content"`
	IDs     []int64 `parquet:"input_ids"`
}

func strp(s string) *string { return &s }

func TestParquetText(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.parquet")
	var rows []textRow
	for i, s := range []string{"first doc", "second\ndoc", "bad \xff utf8", ""} {
		rows = append(rows, textRow{ID: int64(i), Text: s, Meta: "m"})
	}
	writeParquet(t, p, rows, parquet.MaxRowsPerRowGroup(3))
	docs := readAll(t, p, Options{})
	want := []Document{
		{Text: "first doc", Source: p + "#0"},
		{Text: "second\ndoc", Source: p + "#1"},
		{Text: "bad \xff utf8", Source: p + "#2"},
		{Text: "", Source: p + "#3"},
	}
	if !reflect.DeepEqual(docs, want) {
		t.Fatalf("got  %#v\nwant %#v", docs, want)
	}
	_, err := tryReadAll(p, Options{TextField: "id"})
	wantErr(t, err, p+": column \"id\" is", "want a string")
	_, err = tryReadAll(p, Options{TextField: "body"})
	wantErr(t, err, p+": no \"body\" column and no \"input_ids\" column", `"meta"`)
	if got := texts(readAll(t, p, Options{TextField: "meta"})); len(got) != 4 || got[0] != "m" {
		t.Fatalf("meta column: %q", got)
	}
}

func TestParquetIDs(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ids.parquet")
	writeParquet(t, p, []mixedRow{
		{Text: strp("ignored"), IDs: []int32{1, 2, 3}},
		{Text: strp("used"), IDs: nil},
		{IDs: []int32{7}},
	})
	docs := readAll(t, p, Options{})
	if len(docs) != 3 || !reflect.DeepEqual(docs[0].IDs, []int{1, 2, 3}) || docs[0].Source != p+"#0" ||
		!reflect.DeepEqual(docs[2].IDs, []int{7}) {
		t.Fatalf("got %#v", docs)
	}
	// A required list column holds an empty list, which wins over the text
	// (as "input_ids": [] does in JSON Lines).
	if docs[1].IDs == nil || len(docs[1].IDs) != 0 {
		t.Fatalf("row 1: %#v", docs[1])
	}

	q := filepath.Join(dir, "rep.parquet")
	writeParquet(t, q, []repeatedRow{{Content: "x", IDs: []int64{4, 5}}, {Content: "y", IDs: []int64{6, -1}}})
	docs, err := tryReadAll(q, Options{TextField: "content"})
	wantErr(t, err, q+"#1: input_ids[1]: -1 is not a non-negative integer")
	if len(docs) != 1 || !reflect.DeepEqual(docs[0].IDs, []int{4, 5}) {
		t.Fatalf("got %#v", docs)
	}

	// Select works over Parquet and checks the vocabulary.
	r := openT(t, q)
	_, err = Select(r, byteEncode, 5, 1, 1)
	wantErr(t, err, q+"#0: token id 5 at position 1 (input_ids) is outside the vocabulary [0, 5)")
}

func TestParquetWrongIDsType(t *testing.T) {
	type row struct {
		IDs []string `parquet:"input_ids,list"`
	}
	p := filepath.Join(t.TempDir(), "c.parquet")
	writeParquet(t, p, []row{{IDs: []string{"a"}}})
	_, err := tryReadAll(p, Options{})
	wantErr(t, err, p+": column \"input_ids\" is", "want a list of integers")
}

func TestParquetNotParquet(t *testing.T) {
	p := writeFile(t, t.TempDir(), "c.parquet", "this is not parquet at all")
	_, err := tryReadAll(p, Options{})
	wantErr(t, err, p+": not a readable Parquet file")
	// A truncated real file, too.
	q := filepath.Join(t.TempDir(), "t.parquet")
	writeParquet(t, q, []textRow{{Text: "hello"}})
	b, _ := os.ReadFile(q)
	os.WriteFile(q, b[:len(b)-20], 0o644)
	_, err = tryReadAll(q, Options{})
	wantErr(t, err, q)
}

func TestParquetInDirectory(t *testing.T) {
	dir := t.TempDir()
	writeParquet(t, filepath.Join(dir, "b.parquet"), []textRow{{Text: "from parquet"}})
	writeFile(t, dir, "a.jsonl", `{"text": "from jsonl"}`)
	if got := texts(readAll(t, dir, Options{})); !reflect.DeepEqual(got, []string{"from jsonl", "from parquet"}) {
		t.Fatalf("got %q", got)
	}
}

func TestParquetNullList(t *testing.T) {
	type optList struct {
		Text *string `parquet:"text,optional"`
		IDs  []int32 `parquet:"input_ids,optional,list"`
	}
	p := filepath.Join(t.TempDir(), "o.parquet")
	writeParquet(t, p, []optList{{Text: strp("used"), IDs: nil}, {Text: strp("t2"), IDs: []int32{}}, {}})
	docs, err := tryReadAll(p, Options{})
	wantErr(t, err, p+"#2: both \"text\" and \"input_ids\" are null")
	want := []Document{{Text: "used", Source: p + "#0"}, {IDs: []int{}, Source: p + "#1"}}
	if !reflect.DeepEqual(docs, want) {
		t.Fatalf("got  %#v\nwant %#v", docs, want)
	}
}
