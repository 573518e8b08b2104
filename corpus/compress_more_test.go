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

// TestUnreadableEncodings: a corpus file compressed some other way than
// gzip or zstd (a .txt.gz that is in fact xz or bzip2, a .jsonl that is a
// zip), or text in UTF-16 or UTF-32, is an error naming the file and what
// it is; such a text file was read as documents of binary bytes.
func TestUnreadableEncodings(t *testing.T) {
	dir := t.TempDir()
	utf16le := []byte{0xff, 0xfe, 'h', 0, 'i', 0, '\n', 0}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"x.txt.gz", []byte("\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4F\x02\x00!\x01"), "xz"},
		{"b.txt.gz", []byte("BZh91AY&SY\xf8*\xbf\xbc\x00\x00\x06Q"), "bzip2"},
		{"b0.txt", []byte("BZh9\x17rE8P\x90\x00\x00\x00\x00"), "bzip2"},
		{"l.txt.zst", []byte("\x04\x22\x4d\x18\x64\x40\xa7\x00\x00\x00\x00"), "lz4"},
		{"z.jsonl", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), "zip"},
		{"s.txt", []byte("7z\xbc\xaf\x27\x1c\x00\x04"), "7z"},
		{"u.txt", utf16le, "UTF-16"},
		{"ube.txt", []byte{0xfe, 0xff, 0, 'h', 0, '\n'}, "UTF-16"},
		{"u32.txt", []byte{0xff, 0xfe, 0, 0, 'h', 0, 0, 0}, "UTF-32"},
		{"u.json", append([]byte{0xfe, 0xff}, []byte("\x00[\x00]")...), "UTF-16"},
		{"ugz.txt.gz", gzipped(t, utf16le), "UTF-16"},
	} {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		docs, err := readDocs(t, p)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %d documents, error %v; want an error naming the file and %q", c.name, len(docs), err, c.want)
		}
	}
	// Text that merely starts like a magic number is text.
	for name, text := range map[string]string{"bz.txt": "BZh is a word\n", "pk.txt": "PK fire\n", "7z.txt": "7z archives\n"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		docs, err := readDocs(t, p)
		if err != nil || len(docs) != 1 || docs[0].Text != strings.TrimSuffix(text, "\n") {
			t.Errorf("%s: %v, %v", name, docs, err)
		}
	}
}
