package corpus

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestParquetNoRows: a Parquet file without rows (an empty shard of a split
// dataset; pyarrow's write_table of an empty table writes one row group of
// 0 rows whose data page offset is 0) holds no documents; it once was the
// error "reading Parquet data: Seek: invalid offset". testdata/empty.parquet
// is pyarrow 26's pq.write_table(pa.table({"text": pa.array([], pa.string())})).
func TestParquetNoRows(t *testing.T) {
	dir := t.TempDir()
	noGroups := filepath.Join(dir, "nogroups.parquet")
	writeParquet[textRow](t, noGroups, nil)
	f, err := os.Create(filepath.Join(dir, "flushed.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[textRow](f)
	w.Flush()
	w.Close()
	f.Close()
	for _, p := range []string{filepath.Join("testdata", "empty.parquet"), noGroups, f.Name()} {
		docs, err := readDocs(t, p)
		if err != nil || len(docs) != 0 {
			t.Errorf("%s: %d documents, %v; want none, no error", p, len(docs), err)
		}
	}
	// In a directory, the empty shard adds nothing to the others.
	two := filepath.Join(dir, "two")
	os.Mkdir(two, 0o755)
	data, err := os.ReadFile(filepath.Join("testdata", "empty.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(two, "a.parquet"), data, 0o644)
	writeParquet(t, filepath.Join(two, "b.parquet"), []textRow{{Text: "x"}})
	if docs, err := readDocs(t, two); err != nil || len(docs) != 1 || docs[0].Text != "x" {
		t.Errorf("directory with an empty shard: %v, %v", docs, err)
	}
}
