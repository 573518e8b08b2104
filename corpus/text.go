package corpus

import (
	"bytes"
	"fmt"
	"io"
)

// textSource reads a plain text file whose documents are separated by blank
// lines.
type textSource struct {
	lr   *lineReader
	doc  []byte
	done bool
}

func openText(name string, opt Options) (docSource, error) {
	lr, err := openLines(name, opt.MaxLineBytes)
	if err != nil {
		return nil, err
	}
	return &textSource{lr: lr}, nil
}

func (t *textSource) close() error { return t.lr.close() }

func (t *textSource) next() (Document, error) {
	if t.done {
		return Document{}, io.EOF
	}
	t.doc = t.doc[:0]
	start := 0
	for {
		line, err := t.lr.next()
		if err == io.EOF {
			t.done = true
			if len(t.doc) == 0 {
				return Document{}, io.EOF
			}
			return t.emit(start), nil
		}
		if err != nil {
			return Document{}, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			if len(t.doc) > 0 {
				return t.emit(start), nil
			}
			continue
		}
		if len(t.doc) == 0 {
			start = t.lr.line
		} else {
			t.doc = append(t.doc, '\n')
		}
		if len(t.doc)+len(line) > t.lr.max {
			return Document{}, fmt.Errorf("%s:%d: document starting at line %d longer than %d bytes (the limit on one document)", t.lr.name, t.lr.line, start, t.lr.max)
		}
		t.doc = append(t.doc, line...)
	}
}

func (t *textSource) emit(start int) Document {
	return Document{Text: string(t.doc), Source: fmt.Sprintf("%s:%d", t.lr.name, start)}
}
