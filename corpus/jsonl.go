package corpus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonlSource reads a JSON Lines file.
type jsonlSource struct {
	lr        *lineReader
	textField string
}

func openJSONL(name string, opt Options) (docSource, error) {
	lr, err := openLines(name, opt.MaxLineBytes)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(filepath.Ext(stripCompression(name)), ".json") && isJSONArray(lr) {
		src, err := newJSONArraySource(lr, opt)
		if err != nil {
			lr.close()
			return nil, err
		}
		return src, nil
	}
	return &jsonlSource{lr: lr, textField: opt.TextField}, nil
}

func (j *jsonlSource) close() error { return j.lr.close() }

func (j *jsonlSource) next() (Document, error) {
	for {
		line, err := j.lr.next()
		if err != nil {
			return Document{}, err
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		src := fmt.Sprintf("%s:%d", j.lr.name, j.lr.line)
		d, err := parseJSONLine(line, j.textField)
		if err != nil {
			return Document{}, fmt.Errorf("%s: %w", src, err)
		}
		d.Source = src
		return d, nil
	}
}

// parseJSONLine decodes one non-blank JSON Lines record.
func parseJSONLine(line []byte, textField string) (Document, error) {
	obj, err := parseJSONObject(line)
	if err != nil {
		return Document{}, err
	}
	if raw, ok := obj[IDsField]; ok && !isNull(raw) {
		ids, err := parseIDs(raw)
		if err != nil {
			return Document{}, err
		}
		return Document{IDs: ids}, nil
	}
	raw, ok := obj[textField]
	if !ok || isNull(raw) {
		return Document{}, fmt.Errorf("no %q string field and no %q array (fields present: %s)", textField, IDsField, fieldNames(obj))
	}
	return textOf(raw, textField)
}

// textOf decodes the value of the text field, which must be a string.
func textOf(raw json.RawMessage, textField string) (Document, error) {
	if raw[0] != '"' {
		return Document{}, fmt.Errorf("field %q is %s, want a string", textField, jsonKind(raw))
	}
	return Document{Text: unquoteRaw(raw)}, nil
}

// parseJSONObject decodes one non-blank line that must hold a JSON object.
func parseJSONObject(line []byte) (map[string]json.RawMessage, error) {
	if !json.Valid(line) {
		var v any
		err := json.Unmarshal(line, &v)
		if err == nil { // cannot happen: Valid and Unmarshal agree
			err = errors.New("invalid")
		}
		msg := strings.TrimPrefix(err.Error(), "json: ")
		var se *json.SyntaxError
		if errors.As(err, &se) && se.Offset > 0 && int(se.Offset) < len(line) {
			msg = fmt.Sprintf("%s (at byte %d)", msg, se.Offset)
		}
		if len(line) > 0 && line[0] == '[' {
			msg += " (JSON Lines wants one object per line)"
		}
		return nil, fmt.Errorf("invalid JSON: %s", msg)
	}
	if line[0] != '{' {
		return nil, fmt.Errorf("not a JSON object (got %s); JSON Lines wants one object per line", jsonKind(line))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return nil, fmt.Errorf("invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return obj, nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

func fieldNames(obj map[string]json.RawMessage) string {
	if len(obj) == 0 {
		return "none"
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, strconv.Quote(k))
	}
	sort.Strings(names)
	const maxNames = 10
	if len(names) > maxNames {
		return strings.Join(names[:maxNames], ", ") + fmt.Sprintf(" and %d more", len(names)-maxNames)
	}
	return strings.Join(names, ", ")
}

// jsonKind names the kind of a valid JSON value.
func jsonKind(v []byte) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// parseIDs decodes an array of non-negative integers.
func parseIDs(raw json.RawMessage) ([]int, error) {
	if raw[0] != '[' {
		return nil, fmt.Errorf("field %q is %s, want an array of non-negative integers", IDsField, jsonKind(raw))
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, fmt.Errorf("field %q: %s", IDsField, strings.TrimPrefix(err.Error(), "json: "))
	}
	ids := make([]int, len(elems))
	for i, e := range elems {
		n, err := strconv.ParseUint(string(e), 10, 64)
		if err != nil || n > uint64(maxInt) {
			what := "is not a non-negative integer"
			if err != nil && errors.Is(err, strconv.ErrRange) || err == nil {
				what = "is out of range"
			}
			return nil, fmt.Errorf("%s[%d]: %s %s", IDsField, i, truncate(string(e), 40), what)
		}
		ids[i] = int(n)
	}
	return ids, nil
}

const maxInt = int(^uint(0) >> 1)

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// unquoteRaw decodes a JSON string literal that json.Valid accepted. Unlike
// encoding/json it keeps invalid UTF-8 bytes as they are.
func unquoteRaw(raw []byte) string {
	s := raw[1 : len(raw)-1]
	if bytes.IndexByte(s, '\\') < 0 {
		return string(s)
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(s[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					r2 = hex4(s[i+3 : i+7])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, s[i])
		}
	}
	return string(out)
}

// hex4 decodes four hex digits already validated by json.Valid.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// ParseJSONLine decodes one JSON Lines record as the corpus reader does:
// the text field (invalid UTF-8 kept byte for byte, for the tokenizer to
// handle) or input_ids.
func ParseJSONLine(line []byte, textField string) (Document, error) {
	if textField == "" {
		textField = DefaultTextField
	}
	return parseJSONLine(bytes.TrimSpace(line), textField)
}

// ParseJSONText decodes the text field of one JSON Lines record as the
// corpus reader decodes it, whether or not the record also carries
// input_ids (which are not looked at): what tokenize encodes.
func ParseJSONText(line []byte, textField string) (string, error) {
	if textField == "" {
		textField = DefaultTextField
	}
	obj, err := parseJSONObject(bytes.TrimSpace(line))
	if err != nil {
		return "", err
	}
	raw, ok := obj[textField]
	if !ok || isNull(raw) {
		return "", fmt.Errorf("no %q string field (fields present: %s)", textField, fieldNames(obj))
	}
	d, err := textOf(raw, textField)
	return d.Text, err
}
