package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/qfilters/qfilters/assets"
	"github.com/qfilters/qfilters/corpus"
	"github.com/qfilters/qfilters/tokenizer"
)

// inputs are the model and corpus a command runs on, with the names
// recorded in provenance and reports.
type inputs struct {
	modelDir, corpusPath  string
	modelName, corpusName string
	embeddedModel         bool // the embedded stories260K
	embeddedCorpus        bool // its embedded corpus
	cleanup               func()
}

// resolveInputs returns the model and corpus given by flags; without a model
// it extracts the embedded stories260K (and, without a corpus, its corpus) to
// a temporary directory that cleanup removes.
func resolveInputs(modelDir, corpusPath string) (*inputs, error) {
	in := &inputs{modelDir: modelDir, corpusPath: corpusPath, modelName: modelDir, corpusName: corpusPath, cleanup: func() {}}
	if modelDir == "" {
		tmp, err := os.MkdirTemp("", "qfilters-default-")
		if err != nil {
			return nil, err
		}
		in.cleanup = func() { os.RemoveAll(tmp) }
		embModel, embCorpus, err := assets.Extract(tmp)
		if err != nil {
			in.cleanup()
			return nil, err
		}
		in.modelDir, in.modelName, in.embeddedModel = embModel, assets.ModelName, true
		if corpusPath == "" {
			in.corpusPath, in.corpusName, in.embeddedCorpus = embCorpus, assets.CorpusName, true
		}
	}
	if in.corpusPath == "" {
		in.cleanup()
		return nil, usageError{errors.New("--corpus is required with --model")}
	}
	return in, nil
}

// textEncoder returns the encoder corpus selection needs: the model's
// tokenizer with its special tokens (what tokenizer(text) gives). It is
// loaded now, before any of the corpus is read; a failure is reported at the
// first text document, so that pre-tokenized corpora need no tokenizer and a
// broken one is reported without scanning the corpus.
func textEncoder(modelDir string) corpus.Encoder {
	tok, err := tokenizer.Load(modelDir)
	if err != nil {
		err = fmt.Errorf("the corpus has text, which needs the model's tokenizer: %w", err)
		return func(string) ([]int, error) { return nil, err }
	}
	return func(text string) ([]int, error) { return tok.Encode(text, true), nil }
}
