// Package assets embeds the default model and corpus: Karpathy's stories260K
// (a real trained tiny Llama, MIT licence) in Hugging Face layout and 96
// stories sampled from it, so that qfilters works out of the box.
package assets

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed stories260K tinystories-sampled
var files embed.FS

// Names of the embedded model and corpus, as recorded in provenance.
const (
	ModelName  = "stories260K (embedded)"
	CorpusName = "tinystories-sampled (embedded)"
)

// Extract writes the embedded model and corpus below dir and returns the
// model directory and the corpus file.
func Extract(dir string) (modelDir, corpusFile string, err error) {
	err = fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(path))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		return "", "", fmt.Errorf("extracting the embedded model: %w", err)
	}
	return filepath.Join(dir, "stories260K"), filepath.Join(dir, "tinystories-sampled", "train.jsonl"), nil
}
