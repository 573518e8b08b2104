package tokenizer

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Identity returns the hex SHA-256 of what Load reads from path (a
// directory or a tokenizer.json): the bytes of tokenizer.json and of
// tokenizer_config.json beside it when present, each length-prefixed. It
// names the tokenizer by content, wherever it is stored.
func Identity(path string) (string, error) {
	file := path
	if st, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s: %w", path, pathErr(err))
	} else if st.IsDir() {
		file = filepath.Join(path, "tokenizer.json")
	}
	h := sha256.New()
	var b [8]byte
	for i, p := range []string{file, filepath.Join(filepath.Dir(file), "tokenizer_config.json")} {
		limit := int64(maxTokenizerBytes)
		if i > 0 {
			limit = maxConfigBytes
		}
		data, err := readBounded(p, limit)
		if i > 0 && errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			return "", err // names the file
		}
		binary.LittleEndian.PutUint64(b[:], uint64(len(data)))
		h.Write(b[:])
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
