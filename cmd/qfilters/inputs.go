package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/qfilters/qfilters/assets"
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

// textEncoder returns the encode function corpus selection needs: the
// model's tokenizer with its special tokens (what tokenizer(text) gives),
// loaded the first time a text document comes, so that pre-tokenized corpora
// need no tokenizer. loadErr reports a failure to load it, wrapped to say why
// it was needed.
func textEncoder(modelDir string) (encode func(string) []int, loadErr func() error) {
	var tok *tokenizer.Tokenizer
	var err error
	encode = func(text string) []int {
		if tok == nil && err == nil {
			tok, err = tokenizer.Load(modelDir)
		}
		if err != nil {
			return nil
		}
		return tok.Encode(text, true)
	}
	loadErr = func() error {
		if err != nil {
			return fmt.Errorf("the corpus has text, which needs the model's tokenizer: %w", err)
		}
		return nil
	}
	return encode, loadErr
}
