package gguf

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/qfilters/qfilters/tokenizer"
)

// Token types of tokenizer.ggml.token_type (llama_token_type).
const (
	tokNormal      = 1
	tokUnknown     = 2
	tokControl     = 3
	tokUserDefined = 4
	tokUnused      = 5
	tokByte        = 6
)

// Pre-tokenizer regexes of llama.cpp (llm_tokenizer_bpe), applied one after
// the other, each splitting what the previous produced.
var (
	reLlama3 = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	reQwen2  = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	reGPT2   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`

	preTokenizers = map[string][]string{
		"default":   {`[\p{P}\$\+<=>\^~\|]+`, reGPT2, `\p{N}+`, `[0-9][0-9][0-9]`},
		"llama3":    {reLlama3},
		"llama-v3":  {reLlama3},
		"llama-bpe": {reLlama3},
		"falcon3":   {reLlama3},
		"pixtral":   {reLlama3},
		"dbrx":      {reLlama3},
		"smaug-bpe": {reLlama3},
		"qwen2":     {reQwen2},
		"stablelm2": {reQwen2},
		"gpt-2":     {reGPT2},
		"phi-2":     {reGPT2},
		"mpt":       {reGPT2},
		"olmo":      {reGPT2},
		"starcoder": {`\p{N}`, reGPT2},
		"refact":    {`\p{N}`, reGPT2},
		"smollm":    {`\p{N}`, reGPT2},
		"codeshell": {`\p{N}`, reGPT2},
	}
	// llama.cpp adds a BOS by default only for these pre-tokenizers, and
	// ignores merges for words that are whole tokens.
	llama3Pre = map[string]bool{"llama3": true, "llama-v3": true, "llama-bpe": true, "falcon3": true, "pixtral": true}
)

// Tokenizer builds the tokenizer the metadata describes, applied as
// llama.cpp applies it: tokenizer.ggml.model "llama" (SentencePiece: scores,
// byte fallback, a leading "▁") or "gpt2" (byte-level BPE with the
// pre-tokenizer tokenizer.ggml.pre names). A BOS is added when
// tokenizer.ggml.add_bos_token says so or, absent that key, when llama.cpp
// would (SentencePiece: yes; BPE: for the Llama 3 pre-tokenizers).
func (g *File) Tokenizer() (*tokenizer.Tokenizer, error) {
	t, err := g.tokenizer()
	if err != nil {
		return nil, fmt.Errorf("%s: its tokenizer metadata: %w", g.Path, err)
	}
	return t, nil
}

func (g *File) tokenizer() (*tokenizer.Tokenizer, error) {
	kind, err := g.strKey("tokenizer.ggml.model")
	if err != nil {
		return nil, err
	}
	v, ok := g.Value("tokenizer.ggml.tokens")
	if !ok {
		return nil, fmt.Errorf("the file has no tokenizer (no tokenizer.ggml.tokens)")
	}
	tokens, ok := v.Strings()
	if !ok || len(tokens) == 0 {
		return nil, fmt.Errorf("tokenizer.ggml.tokens is not a list of strings")
	}
	types := make([]int64, len(tokens))
	if v, ok := g.Value("tokenizer.ggml.token_type"); ok {
		tt, ok := v.Ints()
		if !ok || len(tt) != len(tokens) {
			return nil, fmt.Errorf("tokenizer.ggml.token_type has %d entries for %d tokens", v.Len(), len(tokens))
		}
		types = tt
	}
	b := &tokBuilder{g: g, tokens: tokens, types: types}
	switch kind {
	case "llama":
		return b.sentencePiece()
	case "gpt2":
		return b.bytePairs()
	case "gemma4":
		return b.gemma4()
	case "":
		return nil, fmt.Errorf("tokenizer.ggml.model is missing")
	default:
		return nil, fmt.Errorf("tokenizer model %q is not supported (supported: llama, gpt2, gemma4)", kind)
	}
}

type tokBuilder struct {
	g        *File
	tokens   []string
	types    []int64
	forceBOS bool // add the BOS whatever tokenizer.ggml.add_bos_token says (gemma4)
}

// special reads a token id key, def when absent.
func (b *tokBuilder) special(key string, def int) (int, error) {
	id, err := b.g.intKey(key, def)
	if err != nil {
		return 0, err
	}
	if id >= len(b.tokens) || id < -1 {
		return -1, nil // llama.cpp treats out-of-range ids (0xFFFFFFFF...) as unset
	}
	return id, nil
}

func (b *tokBuilder) flag(key string, def bool) (bool, error) {
	v, ok := b.g.Value(key)
	if !ok {
		return def, nil
	}
	x, ok := v.Bool()
	if !ok {
		return false, fmt.Errorf("metadata %s = %v is not true or false", key, v)
	}
	return x, nil
}

// common assembles what both kinds share: the vocabulary, the tokens found
// in the text before anything else (llama.cpp's control, unknown and
// user-defined tokens), the BOS/EOS template and the config naming them.
func (b *tokBuilder) common(defBOS, defEOS int, defAddBOS bool, file map[string]any) (cfg []byte, err error) {
	vocab := make(map[string]int, len(b.tokens))
	for i, t := range b.tokens {
		if !utf8.ValidString(t) {
			// JSON would silently replace the bytes and change the token.
			return nil, fmt.Errorf("token %d (%q) is not valid UTF-8", i, t)
		}
		vocab[t] = i // a repeated token keeps its last id, as llama.cpp's map does
	}
	var added []map[string]any
	for i, t := range b.tokens {
		ty := b.types[i]
		if (ty == tokControl || ty == tokUnknown || ty == tokUserDefined) && t != "" {
			added = append(added, map[string]any{"id": i, "content": t, "special": ty != tokUserDefined,
				"normalized": false, "single_word": false, "lstrip": false, "rstrip": false})
		}
	}
	bos, err := b.special("tokenizer.ggml.bos_token_id", defBOS)
	if err != nil {
		return nil, err
	}
	eos, err := b.special("tokenizer.ggml.eos_token_id", defEOS)
	if err != nil {
		return nil, err
	}
	addBOS, err := b.flag("tokenizer.ggml.add_bos_token", defAddBOS)
	if err != nil {
		return nil, err
	}
	addBOS = addBOS || b.forceBOS
	addEOS, err := b.flag("tokenizer.ggml.add_eos_token", false)
	if err != nil {
		return nil, err
	}
	single := []any{}
	specials := map[string]any{}
	addSpecial := func(id int, key string) error {
		if id < 0 {
			return fmt.Errorf("%s is true but the file sets no valid token id for it", key)
		}
		single = append(single, map[string]any{"SpecialToken": map[string]any{"id": b.tokens[id], "type_id": 0}})
		specials[b.tokens[id]] = map[string]any{"id": b.tokens[id], "ids": []int{id}, "tokens": []string{b.tokens[id]}}
		return nil
	}
	if addBOS {
		if err := addSpecial(bos, "tokenizer.ggml.add_bos_token"); err != nil {
			return nil, err
		}
	}
	single = append(single, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}})
	if addEOS {
		if err := addSpecial(eos, "tokenizer.ggml.add_eos_token"); err != nil {
			return nil, err
		}
	}
	file["added_tokens"] = added
	file["post_processor"] = map[string]any{"type": "TemplateProcessing", "single": single, "special_tokens": specials}
	model := file["model"].(map[string]any)
	model["vocab"] = vocab
	config := map[string]any{}
	if bos >= 0 {
		config["bos_token"] = b.tokens[bos]
	}
	if eos >= 0 {
		config["eos_token"] = b.tokens[eos]
	}
	return json.Marshal(config)
}

// sentencePiece: llama.cpp's SPM tokenizer. Spaces become "▁", a "▁" is
// prepended to each stretch of text (add_space_prefix, true by default),
// and pieces merge by score.
func (b *tokBuilder) sentencePiece() (*tokenizer.Tokenizer, error) {
	v, ok := b.g.Value("tokenizer.ggml.scores")
	if !ok {
		return nil, fmt.Errorf("tokenizer model llama needs tokenizer.ggml.scores")
	}
	sc, ok := v.Floats()
	if !ok || len(sc) != len(b.tokens) {
		return nil, fmt.Errorf("tokenizer.ggml.scores has %d entries for %d tokens", v.Len(), len(b.tokens))
	}
	scores := make([]float32, len(sc))
	for i, s := range sc {
		scores[i] = float32(s)
	}
	prefix, err := b.flag("tokenizer.ggml.add_space_prefix", true)
	if err != nil {
		return nil, err
	}
	unk, err := b.special("tokenizer.ggml.unknown_token_id", 0)
	if err != nil {
		return nil, err
	}
	norms := []any{map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": "▁"}}
	decoders := []any{
		map[string]any{"type": "ByteFallback"},
		map[string]any{"type": "Fuse"},
		map[string]any{"type": "Replace", "pattern": map[string]any{"String": "▁"}, "content": " "},
	}
	if prefix {
		norms = append([]any{map[string]any{"type": "Prepend", "prepend": "▁"}}, norms...)
		decoders = append(decoders, map[string]any{"type": "Strip", "content": " ", "start": 1, "stop": 0})
	}
	model := map[string]any{"type": "BPE", "merges": []any{}, "byte_fallback": true, "fuse_unk": true}
	if unk >= 0 {
		model["unk_token"] = b.tokens[unk]
	}
	file := map[string]any{
		"normalizer": map[string]any{"type": "Sequence", "normalizers": norms},
		"model":      model,
		"decoder":    map[string]any{"type": "Sequence", "decoders": decoders},
	}
	cfg, err := b.common(1, 2, true, file)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(file)
	if err != nil {
		return nil, err
	}
	return tokenizer.FromJSONScored(data, cfg, scores)
}

// bytePairs: llama.cpp's BPE tokenizer: the pre-tokenizer's regexes, then
// byte-level BPE by merge rank.
func (b *tokBuilder) bytePairs() (*tokenizer.Tokenizer, error) {
	pre, err := b.g.strKey("tokenizer.ggml.pre")
	if err != nil {
		return nil, err
	}
	if pre == "" {
		pre = "default" // what llama.cpp falls back to, with a warning
	}
	regexes, ok := preTokenizers[pre]
	if !ok {
		return nil, fmt.Errorf("pre-tokenizer %q is not supported (supported: default, gpt-2, llama-bpe, qwen2, qwen35, gpt-4o, llama4, tekken, glm4, command-r and their aliases)", pre)
	}
	var merges []string
	if v, ok := b.g.Value("tokenizer.ggml.merges"); ok {
		if merges, ok = v.Strings(); !ok {
			return nil, fmt.Errorf("tokenizer.ggml.merges is not a list of strings")
		}
	}
	var pts []any
	for _, re := range regexes {
		pts = append(pts, map[string]any{"type": "Split", "pattern": map[string]any{"Regex": re}, "behavior": "Isolated", "invert": false})
	}
	pts = append(pts, map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false})
	file := map[string]any{
		"normalizer":    preNormalizers[pre],
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": pts},
		"model":         map[string]any{"type": "BPE", "merges": merges, "ignore_merges": llama3Pre[pre]},
		"decoder":       map[string]any{"type": "ByteLevel"},
	}
	defBOS := 11
	if pre == "glm4" || pre == "chatglm-bpe" {
		defBOS = -1 // llama.cpp unsets GLM-4's default BOS
	}
	cfg, err := b.common(defBOS, 11, llama3Pre[pre], file)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(file)
	if err != nil {
		return nil, err
	}
	return tokenizer.FromJSON(data, cfg)
}

// LoadTokenizer reads the tokenizer of a GGUF file and names it: a hex
// SHA-256 of the tokenizer.* metadata it was built from (keys, types and
// values, each string length-prefixed, since tokens may hold spaces), read
// in the same pass. Hashing the file itself would read gigabytes.
func LoadTokenizer(path string) (tok *tokenizer.Tokenizer, identity string, err error) {
	g, err := Open(path)
	if err != nil {
		return nil, "", err
	}
	defer g.Close()
	if tok, err = g.Tokenizer(); err != nil {
		return nil, "", err
	}
	return tok, g.tokenizerIdentity(), nil
}

func (g *File) tokenizerIdentity() string {
	h := sha256.New()
	var b [8]byte
	str := func(s string) {
		binary.LittleEndian.PutUint64(b[:], uint64(len(s)))
		h.Write(b[:])
		io.WriteString(h, s)
	}
	for _, k := range g.Keys() {
		if !strings.HasPrefix(k, "tokenizer.") {
			continue
		}
		v, _ := g.Value(k)
		str(k)
		str(fmt.Sprintf("%d/%d", v.Type, v.Elem))
		switch x := v.v.(type) {
		case []string:
			for _, s := range x {
				str(s)
			}
		case []float64, []int64, []uint64, []bool:
			// Every element: v.String() would give only the length of
			// the scores and token types the tokenizer is built from.
			binary.Write(h, binary.LittleEndian, uint64(v.Len()))
			binary.Write(h, binary.LittleEndian, x)
		default:
			str(v.String())
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
