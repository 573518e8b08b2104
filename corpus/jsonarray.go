package corpus

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// A .json file (not .jsonl, .ndjson) may hold one array of objects (how many datasets are
// exported) instead of JSON Lines: the reader sees its first byte and reads
// the elements as it would the lines, one at a time.
type jsonArraySource struct {
	lr        *lineReader
	dec       *json.Decoder
	textField string
	max       int
	i         int // index of the next element
	done      bool
}

// isJSONArray reports whether the content starts, after white space, with
// '[' (a JSON Lines record is an object, so '[' never starts one).
func isJSONArray(lr *lineReader) bool {
	for n := 1; ; n++ {
		b, err := lr.br.Peek(n)
		if err != nil || len(b) < n {
			return false
		}
		switch b[n-1] {
		case ' ', '\t', '\r', '\n':
			continue
		case '[':
			return true
		}
		return false
	}
}

func newJSONArraySource(lr *lineReader, opt Options) (*jsonArraySource, error) {
	dec := json.NewDecoder(lr.br)
	if _, err := dec.Token(); err != nil { // the '['
		return nil, fmt.Errorf("%s: %w", lr.name, err)
	}
	return &jsonArraySource{lr: lr, dec: dec, textField: opt.TextField, max: opt.MaxLineBytes}, nil
}

func (a *jsonArraySource) close() error { return a.lr.close() }

func (a *jsonArraySource) next() (Document, error) {
	if a.done {
		return Document{}, io.EOF
	}
	src := fmt.Sprintf("%s[%d]", a.lr.name, a.i)
	if !a.dec.More() {
		if _, err := a.dec.Token(); err != nil { // the ']'
			return Document{}, fmt.Errorf("%s: %w", src, jsonErr(err))
		}
		if _, err := a.dec.Token(); err != io.EOF {
			return Document{}, fmt.Errorf("%s: content after the array's closing ]", a.lr.name)
		}
		a.done = true
		return Document{}, io.EOF
	}
	var raw json.RawMessage
	if err := a.dec.Decode(&raw); err != nil {
		return Document{}, fmt.Errorf("%s: %w", src, jsonErr(err))
	}
	a.i++
	if len(raw) > a.max {
		return Document{}, fmt.Errorf("%s: element of %d bytes, longer than the %d allowed", src, len(raw), a.max)
	}
	d, err := parseJSONLine(raw, a.textField)
	if err != nil {
		return Document{}, fmt.Errorf("%s: %w", src, err)
	}
	d.Source = src
	return d, nil
}

// jsonErr words a decoding error without the package prefix; an array cut
// short is said to be.
func jsonErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		return errors.New("the JSON array ends early (truncated file?)")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON: %v", se)
	}
	return err
}
