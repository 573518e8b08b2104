package corpus

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzJSONLines feeds random bytes as a .jsonl file: reading must never
// panic, every error must name path:line, and sources must be increasing
// line numbers.
func FuzzJSONLines(f *testing.F) {
	for _, s := range []string{
		"",
		"\ufeff{\"text\": \"a\"}\n",
		"{\"text\": \"a\\nb\\u00e9\\ud83d\\ude00\"}\n\n{\"input_ids\": [1, 2, 3]}\r\n",
		"{\"text\": 1}\n",
		"{\"input_ids\": [-1]}\n",
		"{\"input_ids\": [1e3, 1.0, 99999999999999999999]}\n",
		"[1, 2]\n\"x\"\nnull\n",
		"{\"text\": \"\xff\xfe\"}",
		"{\"text\": \"unterminated",
		"{\"text\": \"" + strings.Repeat("x", 100) + "\"}\n",
		"{\"text\": \"\\ud800\\u0041\"}\n",
		"\n\n\n{}\n",
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, small uint8) {
		p := filepath.Join(t.TempDir(), "f.jsonl")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opt := Options{}
		if small > 0 {
			opt.MaxLineBytes = int(small)
		}
		r, err := Open(p, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		fileErr := fileLevelRefusal(p)
		lines := strings.Count(string(data), "\n") + 1
		errRe := regexp.MustCompile("^" + regexp.QuoteMeta(p) + `:(\d+): \S`)
		last := 0
		for {
			d, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if fileErr.MatchString(err.Error()) && strings.Count(err.Error(), "\n") == 0 {
					return // a file in another encoding or compression, refused whole
				}
				m := errRe.FindStringSubmatch(err.Error())
				if m == nil {
					t.Fatalf("error does not name a line: %v", err)
				}
				if n, _ := strconv.Atoi(m[1]); n <= last || n > lines {
					t.Fatalf("error line %d out of range (last doc line %d, %d lines): %v", n, last, lines, err)
				}
				return
			}
			var n int
			if _, err := fmt.Sscanf(strings.TrimPrefix(d.Source, p+":"), "%d", &n); err != nil || n <= last || n > lines {
				t.Fatalf("bad source %q after line %d", d.Source, last)
			}
			last = n
			for _, id := range d.IDs {
				if id < 0 {
					t.Fatalf("%s: negative id %d", d.Source, id)
				}
			}
		}
	})
}

// FuzzUnquote checks the UTF-8-preserving JSON string decoder against
// encoding/json on valid UTF-8 input.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"a"`, `"\u00e9\ud83d\ude00"`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00\ud800"`, `"\"\\\/\b\f\n\r\t"`, `"\uD83D\uDE00x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		if !json.Valid(b) || b[0] != '"' || b[len(b)-1] != '"' || !utf8.Valid(b) {
			return
		}
		var want string
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if got := unquoteRaw(b); got != want {
			t.Fatalf("unquoteRaw(%s) = %q, want %q", s, got, want)
		}
	})
}

// FuzzText feeds random bytes as a .txt file: documents are never blank,
// never contain a blank line and never end in a newline.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "a\n\nb", "\ufeffa\r\n \r\nb\n", "\n\n\t\n", "a\nb\nc"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.txt")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		docs, err := tryReadAll(p, Options{})
		if err != nil && fileLevelRefusal(p).MatchString(err.Error()) && !strings.Contains(err.Error(), "\n") {
			return // a file in another encoding or compression, refused whole
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if strings.TrimSpace(d.Text) == "" || strings.HasSuffix(d.Text, "\n") || strings.HasPrefix(d.Text, "\n") {
				t.Fatalf("%s: bad document %q", d.Source, d.Text)
			}
			for _, line := range strings.Split(d.Text, "\n") {
				if len(strings.TrimSpace(line)) == 0 {
					t.Fatalf("%s: document %q has a blank line", d.Source, d.Text)
				}
			}
		}
	})
}

// fileLevelRefusal matches the errors a corpus file gets as a whole rather
// than at a line of text (corpus/compress.go): text in UTF-16/UTF-32,
// compressed in a format the reader does not decompress, or a gzip or zstd
// stream that is corrupt or cut short (random bytes after a gzip magic).
func fileLevelRefusal(path string) *regexp.Regexp {
	return regexp.MustCompile("^" + regexp.QuoteMeta(path) + `(:\d+)?: (UTF-(16|32)(LE|BE) text|[^:\n]+-compressed, which|(gzip|zstd)( \(corrupt or truncated\))?: )`)
}
