package tokenizer

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Identity returns the hex SHA-256 of the bytes Load built t from: those of
// tokenizer.json and, when there was one, of tokenizer_config.json beside it,
// each length-prefixed. It names the tokenizer by content, wherever it is
// stored, and by what was actually read: a file replaced after loading does
// not change it. "" for a tokenizer not built by Load.
func (t *Tokenizer) Identity() string { return t.identity }

// contentIdentity hashes the files a tokenizer is built from, in order.
func contentIdentity(files ...[]byte) string {
	h := sha256.New()
	var b [8]byte
	for _, data := range files {
		binary.LittleEndian.PutUint64(b[:], uint64(len(data)))
		h.Write(b[:])
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))
}
