package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Tokenizer turns text into token ids and back, following a Hugging Face
// tokenizer.json. Build one with Load.
type Tokenizer struct {
	added      *addedVocab
	normalizer normalizer   // nil when the file has none
	pretok     preTokenizer // nil when the file has none
	model      *bpe
	post       postProcessor // nil when the file has none
	decoder    decoder       // nil when the file has none

	idToToken []string // every id's token string; "" for unused ids
	config    tokenizerConfig
	identity  string // see Identity
}

// fileJSON mirrors the top level of tokenizer.json. Components are kept raw
// and decoded by their own constructors, which dispatch on "type".
type fileJSON struct {
	Version       string           `json:"version"`
	AddedTokens   []addedTokenJSON `json:"added_tokens"`
	Normalizer    json.RawMessage  `json:"normalizer"`
	PreTokenizer  json.RawMessage  `json:"pre_tokenizer"`
	Model         json.RawMessage  `json:"model"`
	PostProcessor json.RawMessage  `json:"post_processor"`
	Decoder       json.RawMessage  `json:"decoder"`
}

// Load reads tokenizer.json, and tokenizer_config.json beside it when
// present, from a model directory, a directory holding just tokenizer.json,
// or the path of tokenizer.json itself.
//
// Truncation and padding settings in the file are ignored, as transformers'
// tokenizer(text) ignores them unless asked to truncate or pad.
func Load(path string) (*Tokenizer, error) {
	file := path
	if st, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%s: %w", path, pathErr(err))
	} else if st.IsDir() {
		file = filepath.Join(path, "tokenizer.json")
	}
	data, err := readBounded(file, maxTokenizerBytes)
	if err != nil {
		return nil, err
	}
	var cfg tokenizerConfig
	read := [][]byte{data}
	cfgPath := filepath.Join(filepath.Dir(file), "tokenizer_config.json")
	if cfgData, err := readBounded(cfgPath, maxConfigBytes); err == nil {
		if err := cfg.parse(cfgData); err != nil {
			return nil, fmt.Errorf("%s: %w", cfgPath, err)
		}
		read = append(read, cfgData)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	t, err := parseWith(data, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	t.identity = contentIdentity(read...)
	return t, nil
}

// parse builds a Tokenizer from the bytes of a tokenizer.json alone.
func parse(data []byte) (*Tokenizer, error) { return parseWith(data, tokenizerConfig{}) }

// parseWith builds a Tokenizer from the bytes of a tokenizer.json and the
// tokenizer_config.json settings that change how transformers builds it.
func parseWith(data []byte, cfg tokenizerConfig) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	t := &Tokenizer{config: cfg}
	var err error
	if t.normalizer, err = newNormalizer(f.Normalizer); err != nil {
		return nil, fmt.Errorf("normalizer: %w", err)
	}
	if t.pretok, err = newPreTokenizer(f.PreTokenizer); err != nil {
		return nil, fmt.Errorf("pre_tokenizer: %w", err)
	}
	if t.model, err = newBPE(f.Model, producesByteLevel(t.pretok)); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if t.post, err = newPostProcessor(f.PostProcessor); err != nil {
		return nil, fmt.Errorf("post_processor: %w", err)
	}
	if t.decoder, err = newDecoder(f.Decoder); err != nil {
		return nil, fmt.Errorf("decoder: %w", err)
	}
	cfg.applyLlamaClass(t)
	if t.added, err = newAddedVocab(f.AddedTokens, t.model, t.normalizer); err != nil {
		return nil, fmt.Errorf("added_tokens: %w", err)
	}
	t.idToToken = append([]string(nil), t.model.idToToken...)
	for _, a := range t.added.tokens {
		for a.id >= len(t.idToToken) {
			t.idToToken = append(t.idToToken, "")
		}
		t.idToToken[a.id] = a.content
	}
	if t.post != nil {
		// The ids a post-processor adds must be tokens of this vocabulary.
		for _, id := range t.post.process(nil) {
			if id < 0 || id >= len(t.idToToken) {
				return nil, fmt.Errorf("post_processor: special token id %d is outside the vocabulary (%d tokens)", id, len(t.idToToken))
			}
		}
	}
	return t, nil
}

// Bounds on the files Load reads: the largest real tokenizer.json files are
// ~35 MB, configs a few kB.
const (
	maxTokenizerBytes = 128 << 20
	maxConfigBytes    = 16 << 20
)

// readBounded reads a file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, pathErr(err))
	}
	defer f.Close()
	tooBig := fmt.Errorf("%s: larger than %d MiB, not a tokenizer file", path, limit>>20)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		return nil, tooBig
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, pathErr(err))
	}
	if int64(len(data)) > limit {
		return nil, tooBig
	}
	return data, nil
}

// pathErr drops the operation and path of a *fs.PathError: messages name
// the file themselves.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// isNull reports whether a raw JSON component is absent or null.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// parseSequence builds the components listed under key in a Sequence
// component, dropping the ones that are no-ops (nil).
func parseSequence[T any](raw json.RawMessage, key string, build func(json.RawMessage) (T, error)) ([]T, error) {
	var j map[string]json.RawMessage
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("Sequence: %w", err)
	}
	if err := json.Unmarshal(j[key], &list); err != nil && !isNull(j[key]) {
		return nil, fmt.Errorf("Sequence: %s: %w", key, err)
	}
	var seq []T
	for i, r := range list {
		c, err := build(r)
		if err != nil {
			return nil, fmt.Errorf("Sequence[%d]: %w", i, err)
		}
		if any(c) != nil {
			seq = append(seq, c)
		}
	}
	return seq, nil
}

// componentType reads the "type" field of a JSON component.
func componentType(raw json.RawMessage) (string, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return "", err
	}
	if head.Type == "" {
		return "", errors.New(`missing "type"`)
	}
	return head.Type, nil
}

// Encode returns the token ids of text. With addSpecial the post-processor
// runs and adds its special tokens (Llama 3's <|begin_of_text|>, Llama 2's
// <s>, ...), which is what transformers' tokenizer(text)["input_ids"] gives;
// without it the ids are the model's alone. Added and special tokens written
// in the text itself are always recognised. Invalid UTF-8 in text is first
// replaced with U+FFFD (see the package documentation).
func (t *Tokenizer) Encode(text string, addSpecial bool) []int {
	text = validUTF8(text)
	var ids []int
	for _, p := range t.split(text) {
		if p.id >= 0 {
			ids = append(ids, p.id)
			continue
		}
		words := []piece{p}
		if t.pretok != nil {
			words = t.pretok.preTokenize(words)
		}
		for _, w := range words {
			ids = t.model.tokenize(w.text, ids)
		}
	}
	if addSpecial && t.post != nil {
		ids = t.post.process(ids)
	}
	return ids
}

// split separates the added tokens from the rest of text and normalizes the
// rest, as Hugging Face's AddedVocabulary.extract_and_normalize does: tokens
// that are not "normalized" are matched in the raw text, the others in the
// normalized pieces between them. Empty pieces are dropped.
func (t *Tokenizer) split(text string) []piece {
	raw := t.added.splitRaw(text)
	out := raw[:0:0]
	for _, p := range raw {
		if p.id >= 0 {
			out = append(out, p)
			continue
		}
		if t.normalizer != nil {
			p.text = t.normalizer.normalize(p.text)
		}
		out = t.added.splitNormalized(p, out)
	}
	return out
}

// Decode turns ids back into text through the file's decoder. With
// skipSpecial, added tokens marked special are left out. Ids outside the
// vocabulary are ignored, as Hugging Face does.
func (t *Tokenizer) Decode(ids []int, skipSpecial bool) string {
	tokens := make([]string, 0, len(ids))
	for _, id := range ids {
		if id < 0 || id >= len(t.idToToken) || t.idToToken[id] == "" {
			continue
		}
		if skipSpecial && t.added.isSpecial(t.idToToken[id]) {
			continue
		}
		tokens = append(tokens, t.idToToken[id])
	}
	if t.decoder == nil {
		return strings.Join(tokens, " ")
	}
	return strings.Join(t.decoder.decode(tokens), "")
}

// VocabSize returns one more than the highest token id, counting added
// tokens: the number of rows an embedding table needs for every id Encode can
// return. For the files seen so far it equals len(tokenizer) in transformers.
func (t *Tokenizer) VocabSize() int { return len(t.idToToken) }

// TokenID returns the id of a token written as it appears in the vocabulary
// (for byte-level files that is the mapped form, "Ġthe" for " the") or as an
// added token's content ("<|begin_of_text|>").
func (t *Tokenizer) TokenID(token string) (int, bool) {
	id := t.tokenID(token)
	return id, id >= 0
}

// tokenID is TokenID with -1 for a missing token.
func (t *Tokenizer) tokenID(token string) int {
	if t.added != nil {
		if id, ok := t.added.byContent[token]; ok {
			return id
		}
	}
	if id, ok := t.model.vocab[token]; ok {
		return id
	}
	return -1
}

// BOS returns the id of the beginning-of-sequence token named by
// tokenizer_config.json, when there is one.
func (t *Tokenizer) BOS() (int, bool) { return t.namedToken(t.config.BOSToken) }

// EOS returns the id of the end-of-sequence token named by
// tokenizer_config.json, when there is one.
func (t *Tokenizer) EOS() (int, bool) { return t.namedToken(t.config.EOSToken) }

func (t *Tokenizer) namedToken(name string) (int, bool) {
	if name == "" {
		return 0, false
	}
	return t.TokenID(name)
}
