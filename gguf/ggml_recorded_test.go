package gguf_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/qfilters/qfilters/gguf"
	"github.com/qfilters/qfilters/internal/fixture"
)

// ggmlRecord is testdata/ggml/dequant.json: for each type, the hash of
// ggml's to_float on the random blocks of randomBlocks(type, Blocks,
// seed = type id), written by `make ggml-check` (-update) from llama.cpp's
// own library.
type ggmlRecord struct {
	Source string                     `json:"source"`
	Types  map[string]ggmlRecordEntry `json:"types"`
}

type ggmlRecordEntry struct {
	ID     int    `json:"id"`
	Blocks int    `json:"blocks"`
	SHA256 string `json:"sha256"`
}

func ggmlRecordPath() string { return fixture.Path("ggml", "dequant.json") }

// TestDequantMatchesGGMLRecorded: every supported type dequantizes the
// recorded random blocks to exactly what ggml's to_float gave (compared
// through the hash of the float bits; `make ggml-check` compares live and
// names the first differing element).
func TestDequantMatchesGGMLRecorded(t *testing.T) {
	b, err := os.ReadFile(ggmlRecordPath())
	if err != nil {
		t.Fatal(err)
	}
	var rec ggmlRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	for _, typ := range gguf.SupportedTypes() {
		e, ok := rec.Types[typ.String()]
		if !ok {
			if typ == gguf.F32 { // ggml has no to_float for F32: nothing to convert
				continue
			}
			t.Errorf("%s: not in %s", typ, ggmlRecordPath())
			continue
		}
		if e.ID != int(typ) {
			t.Errorf("%s: recorded as ggml type %d, we have %d", typ, e.ID, int(typ))
			continue
		}
		got, err := ourDequant(typ, randomBlocks(typ, e.Blocks, int64(typ)))
		if err != nil {
			t.Fatal(err)
		}
		if h := floatsHash(got); h != e.SHA256 {
			t.Errorf("%s: dequantized %d random blocks hash to %s; ggml's to_float gave %s", typ, e.Blocks, h, e.SHA256)
		}
	}
}
