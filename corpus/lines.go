package corpus

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// lineReader reads lines of bounded length without ever buffering more than
// max+1 bytes plus the bufio buffer.
type lineReader struct {
	name string
	f    *os.File
	done func() // releases a decompressor
	br   *bufio.Reader
	max  int
	line int // number of the last line returned (1-based)
	buf  []byte
	what string // "line" or "document", for errors
}

func newLineReader(name string, r io.Reader, max int) *lineReader {
	lr := &lineReader{name: name, br: bufio.NewReaderSize(r, 64<<10), max: max, what: "line"}
	if b, err := lr.br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		lr.br.Discard(len(utf8BOM))
	}
	return lr
}

func openLines(name string, max int) (*lineReader, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	r, done, err := decompress(name, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	lr := newLineReader(name, r, max)
	lr.f, lr.done = f, done
	if head, _ := lr.br.Peek(4); wideUnicode(head) != "" {
		kind, bom := wideUnicode(head), head[:2]
		if strings.HasPrefix(kind, "UTF-32") {
			bom = head[:4]
		}
		lr.close()
		return nil, fmt.Errorf("%s: %s text (byte order mark %X); corpus text must be UTF-8", name, kind, bom)
	}
	return lr, nil
}

func (lr *lineReader) close() error {
	if lr.f == nil {
		return nil
	}
	if lr.done != nil {
		lr.done()
	}
	err := lr.f.Close()
	lr.f = nil
	return err
}

// next returns the next line without its "\n" or "\r\n" terminator; the
// slice is valid until the following call. It returns io.EOF after the last
// line, and an error naming name:line for a line longer than max bytes.
func (lr *lineReader) next() ([]byte, error) {
	lr.buf = lr.buf[:0]
	for {
		frag, err := lr.br.ReadSlice('\n')
		// max content bytes plus "\r\n"
		if len(lr.buf)+len(frag) > lr.max+2 {
			return nil, lr.tooLong(lr.line + 1)
		}
		lr.buf = append(lr.buf, frag...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s:%d: %w", lr.name, lr.line+1, err)
		}
		if err == io.EOF && len(lr.buf) == 0 {
			return nil, io.EOF
		}
		lr.line++
		b := lr.buf
		if n := len(b); n > 0 && b[n-1] == '\n' {
			b = b[:n-1]
			if n := len(b); n > 0 && b[n-1] == '\r' {
				b = b[:n-1]
			}
		}
		if len(b) > lr.max {
			return nil, lr.tooLong(lr.line)
		}
		return b, nil
	}
}

func (lr *lineReader) tooLong(line int) error {
	return fmt.Errorf("%s:%d: %s longer than %d bytes (the limit on one line)", lr.name, line, lr.what, lr.max)
}
