package corpus

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Document is one calibration document: either text to tokenize, or
// pre-tokenized ids used as they are.
type Document struct {
	Text   string
	IDs    []int  // non-nil when the source carried input_ids
	Source string // "path:line" (JSON Lines, text) or "path#row" (Parquet): for error messages
}

// DefaultTextField is the field holding the text when Options.TextField is empty.
const DefaultTextField = "text"

// DefaultMaxLineBytes bounds one JSON line / document when Options.MaxLineBytes is 0.
const DefaultMaxLineBytes = 64 << 20

// IDsField is the field holding pre-tokenized documents.
const IDsField = "input_ids"

// Options controls how documents are read.
type Options struct {
	TextField    string // JSON Lines / Parquet field holding the text; default "text"
	MaxLineBytes int    // bound on one JSON line / text document; default 64 MiB; longer is an error naming path:line
}

func (o Options) withDefaults() Options {
	if o.TextField == "" {
		o.TextField = DefaultTextField
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	return o
}

// Extensions lists the file extensions recognised as corpus files.
var Extensions = []string{".jsonl", ".ndjson", ".json", ".txt", ".parquet"}

type format int

const (
	formatUnknown format = iota
	formatJSONL
	formatText
	formatParquet
)

func formatOf(name string) format {
	plain := stripCompression(name)
	switch strings.ToLower(filepath.Ext(plain)) {
	case ".jsonl", ".ndjson", ".json":
		return formatJSONL
	case ".txt":
		return formatText
	case ".parquet":
		if plain == name { // Parquet compresses its pages itself
			return formatParquet
		}
	}
	return formatUnknown
}

// docSource reads the documents of one file.
type docSource interface {
	next() (Document, error)
	close() error
}

// Reader reads the documents of a corpus in order. It is not safe for
// concurrent use.
type Reader struct {
	path  string
	files []string
	opt   Options
	i     int       // index of the next file to open
	cur   docSource // open file, or nil
	err   error     // sticky error (io.EOF at the end)
	seen  docHash   // what Next has returned, for Identity
}

// Open prepares reading the documents of path: a file (.jsonl/.ndjson/.json
// as JSON Lines, .txt, .parquet), a directory (its regular files with those
// extensions, sorted by name, not recursive), or a glob pattern (matching
// corpus files, sorted). Files are opened lazily by Next.
func Open(path string, opt Options) (*Reader, error) {
	files, err := resolve(path)
	if err != nil {
		return nil, err
	}
	return &Reader{path: path, files: files, opt: opt.withDefaults()}, nil
}

// Path returns the path Open was given.
func (r *Reader) Path() string { return r.path }

// Files returns the corpus files in reading order.
func (r *Reader) Files() []string { return append([]string(nil), r.files...) }

// Next returns the next document, or io.EOF after the last one. After an
// error, Next keeps returning that error.
func (r *Reader) Next() (Document, error) {
	for r.err == nil {
		if r.cur == nil {
			if r.i >= len(r.files) {
				r.err = io.EOF
				break
			}
			name := r.files[r.i]
			r.i++
			src, err := openFile(name, r.opt)
			if err != nil {
				r.err = err
				break
			}
			r.cur = src
			r.seen.open(name)
		}
		d, err := r.cur.next()
		if err == nil {
			r.seen.add(d)
			return d, nil
		}
		cerr := r.cur.close()
		r.cur = nil
		if err != io.EOF {
			r.err = err
		} else if cerr != nil {
			r.err = cerr
		}
	}
	return Document{}, r.err
}

// Close releases the open file, if any. Next returns an error afterwards.
func (r *Reader) Close() error {
	var err error
	if r.cur != nil {
		err = r.cur.close()
		r.cur = nil
	}
	if r.err == nil {
		r.err = errors.New("corpus reader closed")
	}
	return err
}

func openFile(name string, opt Options) (docSource, error) {
	switch formatOf(name) {
	case formatJSONL:
		return openJSONL(name, opt)
	case formatText:
		return openText(name, opt)
	case formatParquet:
		return openParquet(name, opt)
	}
	return nil, fmt.Errorf("%s: unsupported corpus file extension (want one of %s)", name, extList())
}

func extList() string {
	return strings.Join(Extensions, ", ") + ", and the text ones compressed: " + strings.Join(compressionSuffixes, ", ")
}

func hasMeta(path string) bool { return strings.ContainsAny(path, `*?[\`) }

// resolve turns a corpus path into the sorted list of files to read.
func resolve(path string) ([]string, error) {
	if path == "" {
		return nil, errors.New("empty corpus path")
	}
	info, statErr := os.Stat(path)
	if statErr == nil {
		if info.IsDir() {
			return dirFiles(path)
		}
		if formatOf(path) == formatUnknown {
			return nil, fmt.Errorf("corpus %s: unsupported file extension %q (want one of %s)", path, filepath.Ext(path), extList())
		}
		return []string{path}, nil
	}
	if !hasMeta(path) {
		return nil, fmt.Errorf("corpus %s: %w", path, unwrapPathErr(statErr))
	}
	matches, err := filepath.Glob(path)
	if err != nil {
		return nil, fmt.Errorf("corpus %s: bad glob pattern: %w", path, err)
	}
	if len(matches) == 0 {
		return nil, fmt.Errorf("corpus %s: no files match the pattern", path)
	}
	sort.Strings(matches)
	var files []string
	dotPattern := strings.HasPrefix(filepath.Base(path), ".")
	for _, m := range matches {
		if hidden(m) && !dotPattern { // as a shell's * skips them
			continue
		}
		fi, err := os.Stat(m)
		if err != nil || !fi.Mode().IsRegular() || formatOf(m) == formatUnknown {
			continue
		}
		files = append(files, m)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("corpus %s: %s the pattern but none is a corpus file (looked for regular files ending in %s)", path, count(len(matches), "path matches", "paths match"), extList())
	}
	return files, nil
}

// hidden reports a file a directory or glob of documents leaves out, as a
// shell and Hugging Face datasets do: a name starting with a dot (macOS
// writes ._name.txt beside name.txt on foreign disks, binary metadata that
// would otherwise be read as text).
func hidden(path string) bool {
	return strings.HasPrefix(filepath.Base(path), ".")
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func dirFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return nil, fmt.Errorf("corpus %s: %w", dir, unwrapPathErr(err))
	}
	var files []string
	for _, e := range entries {
		if formatOf(e.Name()) == formatUnknown || hidden(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Stat(p) // follows symlinks
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		files = append(files, p)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("corpus %s: directory has no corpus files (looked for %s)", dir, extList())
	}
	return files, nil
}

// count writes n with the noun in the singular or the plural.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
