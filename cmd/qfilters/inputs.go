package main

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/qfilters/qfilters/assets"
	"github.com/qfilters/qfilters/corpus"
	"github.com/qfilters/qfilters/hub"
	"github.com/qfilters/qfilters/model"
)

// inputs are the model and corpus a command runs on, with the names
// recorded in provenance and reports.
type inputs struct {
	modelDir, corpusPath  string
	modelName, corpusName string
	// baseName names the filters: {baseName}_qfilt, as kvpress looks them up.
	baseName string
	// hubRevision and hubCommit: for a Hugging Face id, the revision asked
	// for and the snapshot's commit.
	hubRevision, hubCommit string
	embeddedModel          bool   // the embedded stories260K
	embeddedCorpus         bool   // its embedded corpus
	extracted              string // where the embedded files were extracted
	cleanup                func()
}

// named rewords err to name the embedded files as the user knows them
// (embedded:...), not by the temporary path they were extracted to.
func (in *inputs) named(err error) error {
	if err == nil || in.extracted == "" || !strings.Contains(err.Error(), in.extracted) {
		return err
	}
	return renamedError{strings.ReplaceAll(err.Error(), in.extracted+string(filepath.Separator), "embedded:"), err}
}

// renamedError rewords an error's message and keeps the error (and its exit
// code) underneath.
type renamedError struct {
	msg string
	err error
}

func (e renamedError) Error() string { return e.msg }
func (e renamedError) Unwrap() error { return e.err }

// corpusHelp is --corpus's help, the same for every command.
const corpusHelp = "corpus `PATH`: a JSON Lines file (.jsonl, .ndjson; .json also as one array of objects), .txt or .parquet, " +
	"the text ones also compressed (.gz, .zst: found by content), a directory of them or a glob"

// inputPaths lists what the command reads, which no output may replace.
func (in *inputs) inputPaths() []string {
	return append([]string{in.modelDir}, corpusInputs(in.corpusPath)...)
}

// resolveInputs returns the model (a path or a hub id at revision) and corpus
// given by flags; without a model it extracts the embedded stories260K (and,
// without a corpus, its corpus) to a temporary directory that cleanup removes.
func resolveInputs(modelArg, revision, corpusPath string) (*inputs, error) {
	in := &inputs{corpusPath: corpusPath, corpusName: corpusPath, cleanup: func() {}}
	if modelArg != "" {
		var err error
		if in.modelDir, in.modelName, in.baseName, err = resolveModel(modelArg, revision); err != nil {
			return nil, err
		}
		if commit := snapshotCommit(in.modelDir); commit != "" && in.modelName != in.modelDir {
			in.hubRevision, in.hubCommit = cmp.Or(revision, "main"), commit
		}
	} else if revision != "" {
		return nil, usageError{errors.New("--revision needs --model with a Hugging Face id")}
	} else {
		tmp, err := os.MkdirTemp("", "qfilters-default-")
		if err != nil {
			return nil, err
		}
		in.cleanup = func() { os.RemoveAll(tmp) }
		in.extracted = tmp
		embModel, embCorpus, err := assets.Extract(tmp)
		if err != nil {
			in.cleanup()
			return nil, err
		}
		in.modelDir, in.modelName, in.baseName, in.embeddedModel = embModel, assets.ModelName, modelBaseName(embModel), true
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

// resolveModel finds what --model names: a path that exists (a checkpoint
// directory, or a model file) always wins; otherwise an id org/name is
// looked up in the local Hugging Face cache at revision. It returns the
// directory, the name to record and the base of the filters' name.
func resolveModel(arg, revision string) (dir, name, base string, err error) {
	if _, statErr := os.Stat(arg); statErr == nil || !hub.IsID(arg) || model.IsGGUF(arg) {
		if revision != "" {
			return "", "", "", usageError{fmt.Errorf("--revision applies to a Hugging Face id, and %s is a path", arg)}
		}
		// --model DIR/config.json names the checkpoint directory.
		if filepath.Base(arg) == "config.json" {
			if st, err := os.Stat(arg); err == nil && st.Mode().IsRegular() {
				arg = filepath.Dir(arg)
			}
		}
		return arg, pathName(arg), modelBaseName(arg), nil
	}
	dir, err = hub.Resolve(arg, revision)
	if err != nil {
		return "", "", "", err
	}
	if dir, err = ggufOnlySnapshot(arg, dir); err != nil {
		return "", "", "", err
	}
	name = arg
	if revision != "" {
		name += "@" + revision
	}
	return dir, name, hub.Name(arg), nil
}

// snapshotCommit is the commit of a Hugging Face cache snapshot
// (models--org--name/snapshots/<commit>, or a file in one), or "".
func snapshotCommit(path string) string {
	for _, dir := range []string{path, filepath.Dir(path)} {
		if filepath.Base(filepath.Dir(dir)) == "snapshots" && hub.IsCommit(filepath.Base(dir)) {
			return filepath.Base(dir)
		}
	}
	return ""
}

// pathName is how a model path is recorded and shown: as given, cleaned,
// except that a path naming no directory by itself (".", "..", "../..")
// becomes the name of the directory it is.
func pathName(path string) string {
	clean := filepath.Clean(path)
	if base := filepath.Base(clean); base == "." || base == ".." {
		if abs, err := filepath.Abs(clean); err == nil {
			return filepath.Base(abs)
		}
	}
	return clean
}

// ggufOnlySnapshot picks the model file of a snapshot that holds GGUF files
// and no config.json (how llama.cpp models are published): the file when
// there is one; with several (quantizations), an error listing them.
func ggufOnlySnapshot(id, dir string) (string, error) {
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
		return dir, nil
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.gguf"))
	switch len(files) {
	case 0:
		return dir, nil
	case 1:
		return files[0], nil
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = filepath.Base(f)
	}
	return "", usageError{fmt.Errorf("%s holds %d GGUF files (%s): give --model %s", id, len(files), strings.Join(names, ", "), filepath.Join(dir, names[0]))}
}

// textEncoder returns the encoder corpus selection needs: the model's
// tokenizer with its special tokens (what tokenizer(text) gives), and the
// tokenizer's identity. It is loaded now, before any of the corpus is read;
// a failure is reported at the first text document, so that pre-tokenized
// corpora need no tokenizer and a broken one is reported without scanning
// the corpus.
func textEncoder(modelDir string) (encode corpus.Encoder, identity string) {
	tok, identity, err := loadTokenizer(modelDir)
	if err != nil {
		err = fmt.Errorf("the corpus has text, which needs the model's tokenizer: %w", err)
		return func(string) ([]int, error) { return nil, err }, ""
	}
	return func(text string) ([]int, error) { return tok.Encode(text, true), nil }, identity
}

// modelBaseName is the model's name as kvpress derives its filter
// repository (nthngdy/{name}_qfilt): the directory's name, or for a Hugging
// Face cache snapshot (models--org--name/snapshots/<rev>) the name part; for
// a GGUF file, its name without the extension.
func modelBaseName(dir string) string {
	dir = filepath.Clean(dir)
	if abs, err := filepath.Abs(dir); err == nil { // ".", "..": the directory's own name
		dir = abs
	}
	parent := filepath.Dir(dir)
	if filepath.Base(parent) == "snapshots" {
		repo := filepath.Base(filepath.Dir(parent))
		if name, ok := strings.CutPrefix(repo, "models--"); ok {
			if i := strings.LastIndex(name, "--"); i >= 0 {
				name = name[i+2:]
			}
			if name != "" {
				return name
			}
		}
	}
	if base := filepath.Base(dir); model.IsGGUF(dir) {
		return strings.TrimSuffix(base, filepath.Ext(base))
	}
	return filepath.Base(dir)
}
