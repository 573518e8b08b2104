package corpus

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// File is a corpus file the reader opened, for provenance.
type File struct {
	Name  string `json:"name"` // base name
	Bytes int64  `json:"bytes"`
}

// docHash hashes the documents a Reader returns, as it returns them: a
// corpus is identified by what was read from it, not by its whole bytes (a
// multi-GB corpus of which calibration reads the first documents costs no
// extra I/O), nor by where it lives.
type docHash struct {
	h     hash.Hash
	files []File
}

func (d *docHash) open(name string) {
	f := File{Name: filepath.Base(name), Bytes: -1}
	if fi, err := os.Stat(name); err == nil {
		f.Bytes = fi.Size()
	}
	d.files = append(d.files, f)
}

// add hashes one document: its kind and content, length-prefixed, so that
// no two sequences of documents hash alike.
func (d *docHash) add(doc Document) {
	if d.h == nil {
		d.h = sha256.New()
	}
	var b [8]byte
	put := func(v uint64) {
		binary.LittleEndian.PutUint64(b[:], v)
		d.h.Write(b[:])
	}
	if doc.IDs != nil {
		d.h.Write([]byte{'i'})
		put(uint64(len(doc.IDs)))
		for _, id := range doc.IDs {
			put(uint64(id))
		}
		return
	}
	d.h.Write([]byte{'t'})
	put(uint64(len(doc.Text)))
	io.WriteString(d.h, doc.Text)
}

// Identity returns the hex SHA-256 of the documents Next has returned so
// far, in order (text, or ids for pre-tokenized documents). After a
// selection it identifies exactly the text calibration read, wherever the
// corpus lives and whatever follows in it.
func (r *Reader) Identity() string {
	h := r.seen.h
	if h == nil {
		h = sha256.New()
	}
	return hex.EncodeToString(h.Sum(nil))
}

// FilesRead returns the files Next has opened so far, with their sizes
// (-1 when they could not be read).
func (r *Reader) FilesRead() []File { return append([]File(nil), r.seen.files...) }

// Identity returns the identity (as Reader.Identity) of the first docs
// documents of the corpus at path: what a calibration that read docs
// documents of it recorded. Fewer documents than docs is an error.
func Identity(path string, opt Options, docs int) (string, error) {
	r, err := Open(path, opt)
	if err != nil {
		return "", err
	}
	defer r.Close()
	for i := 0; i < docs; i++ {
		if _, err := r.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return "", fmt.Errorf("corpus %s has %s, fewer than %d", path, count(i, "document", "documents"), docs)
			}
			return "", err
		}
	}
	return r.Identity(), nil
}
