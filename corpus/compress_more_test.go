package corpus

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// skippableFrame is a zstd skippable frame (magic 0x184D2A50+nibble)
// carrying payload, as pzstd writes before every frame and the seekable
// format writes at the end.
func skippableFrame(nibble byte, payload []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x184D2A50|uint32(nibble&0xf))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

// TestZstdSkippableFrameFirst: a zstd corpus that starts with a skippable
// frame (pzstd's output does, always) is recognised as zstd and read whole,
// frames and skippable frames alike; it once was read as plain bytes.
func TestZstdSkippableFrameFirst(t *testing.T) {
	dir := t.TempDir()
	a := []byte("{\"text\": \"a\"}\n{\"text\": \"b\"}\n")
	b := []byte("{\"text\": \"c\"}\n")
	var data []byte
	data = append(data, skippableFrame(0, []byte{8, 0, 0, 0})...)
	data = append(data, zstded(t, a)...)
	data = append(data, skippableFrame(0xf, []byte("seek table"))...)
	data = append(data, zstded(t, b)...)
	data = append(data, skippableFrame(7, nil)...)
	for _, name := range []string{"p.jsonl.zst", "p.jsonl"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		docs, err := readDocs(t, p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := []Document{{Text: "a"}, {Text: "b"}, {Text: "c"}}
		if !reflect.DeepEqual(docs, want) {
			t.Errorf("%s: got %v, want %v", name, docs, want)
		}
	}
	// Cut inside the last frame: an error naming the file, not fewer documents.
	p := filepath.Join(dir, "cut.jsonl.zst")
	os.WriteFile(p, data[:len(data)-len(skippableFrame(7, nil))-3], 0o644)
	if _, err := readDocs(t, p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("truncated pzstd-style file: error %v, want one naming %s", err, p)
	}
}

// TestGzipZeroPadding: zero bytes after a gzip member (tape and block
// padding) end the stream, as gzip(1) and Python's gzip module read it;
// they once were an "invalid header" error. Anything else after a member
// is still an error naming the file.
func TestGzipZeroPadding(t *testing.T) {
	dir := t.TempDir()
	a := gzipped(t, []byte("{\"text\": \"a\"}\n"))
	b := gzipped(t, []byte("{\"text\": \"b\"}\n"))
	zeros := make([]byte, 512)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, c := range []struct {
		name string
		data []byte
		want []Document
		err  string
	}{
		{"pad.jsonl.gz", cat(a, zeros), []Document{{Text: "a"}}, ""},
		{"padmid.jsonl.gz", cat(a, zeros[:3], b, zeros[:1]), []Document{{Text: "a"}, {Text: "b"}}, ""},
		{"multi.jsonl.gz", cat(a, b), []Document{{Text: "a"}, {Text: "b"}}, ""},
		{"garbage.jsonl.gz", cat(a, []byte("xyz")), nil, "gzip"},
		{"zerogarbage.jsonl.gz", cat(a, zeros[:4], []byte("x")), nil, "gzip"},
		{"cuthead.jsonl.gz", cat(a, b[:5]), nil, "gzip"},
		{"cut.jsonl.gz", cat(a, b[:len(b)-2]), nil, "gzip"},
	} {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		docs, err := readDocs(t, p)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want one naming the file and %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(docs, c.want) {
			t.Errorf("%s: got %v, %v; want %v", c.name, docs, err, c.want)
		}
	}
}
