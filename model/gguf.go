package model

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/qfilters/qfilters/gguf"
)

// IsGGUF reports whether path names a GGUF file rather than a checkpoint
// directory: by its extension, as llama.cpp's users name them (a missing
// file.gguf too, so the error names the file), or by the magic at the start
// of a regular file (Ollama keeps its GGUF models as sha256-... blobs).
func IsGGUF(path string) bool {
	st, err := os.Stat(path)
	if strings.HasSuffix(strings.ToLower(path), ".gguf") {
		return err != nil || !st.IsDir()
	}
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [4]byte
	_, err = io.ReadFull(f, head[:])
	return err == nil && string(head[:]) == "GGUF"
}

// openGGUF opens a GGUF file: its metadata gives the config (as the
// config.json transformers would hold), its tensors the weights.
func openGGUF(path string) (*Config, Weights, error) {
	g, err := gguf.OpenModel(path)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := ParseConfig(g.Config())
	if err != nil {
		g.Close()
		return nil, nil, fmt.Errorf("%s: the configuration its metadata gives: %w", path, err)
	}
	return cfg, g, nil
}

var _ Weights = (*gguf.Model)(nil)
