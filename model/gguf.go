package model

import (
	"fmt"
	"os"
	"strings"

	"github.com/qfilters/qfilters/gguf"
)

// IsGGUF reports whether path names a GGUF file (by its extension, as
// llama.cpp's users name them) rather than a checkpoint directory.
func IsGGUF(path string) bool {
	if !strings.HasSuffix(strings.ToLower(path), ".gguf") {
		return false
	}
	st, err := os.Stat(path)
	return err != nil || !st.IsDir()
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
