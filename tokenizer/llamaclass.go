package tokenizer

// What transformers (v5) does with a tokenizer_config.json that names
// LlamaTokenizer or LlamaTokenizerFast: AutoTokenizer builds that class,
// which keeps only the vocabulary, merges, added tokens and post-processor of
// tokenizer.json and replaces the rest with its own pipeline: no normalizer,
// and a Metaspace pre-tokenizer ("▁", split off) whose prepend scheme comes
// from the config (add_prefix_space, default true: "always", or "first" when
// legacy is false, its default; add_prefix_space false: "never").
//
// The difference from the file's own SentencePiece-style normalizer
// (Prepend "▁", then spaces to "▁") is text that starts with a space:
// Prepend adds a second "▁" (Mistral's " Hello" is [28705, 22557]), Metaspace
// adds none ([22557]). AutoTokenizer(text) is what the reference script feeds
// the model, so Encode follows it.
//
// The model is rebuilt too, from the file's vocabulary and merges alone:
// BPE(vocab, merges, fuse_unk=True, byte_fallback=True) with no unk token, so
// a character with neither a token nor <0xNN> tokens for its bytes is
// dropped, and the file's own model flags (byte_fallback false, unk_token)
// do not count. So is the decoder: "▁" to " ", byte fallback, fuse, and one
// leading space stripped when add_prefix_space.
//
// It applies to files whose own pipeline is SentencePiece-style (a "▁" for
// spaces, not byte-level), with or without byte fallback: transformers
// rebuilds an old conversion without byte_fallback the same way. A
// byte-level file under that class name (DeepSeek-V3's) comes out of
// transformers' rebuild giving wrong ids, which transformers itself works
// around for such model types by loading tokenizer.json as is; we keep the
// file's pipeline there.

const spmSpace = "▁"

// applyLlamaClass replaces t's normalizer, pre-tokenizer, model flags and
// decoder by those transformers' LlamaTokenizer builds, when the rule
// applies to t, and reports whether it did.
func (c tokenizerConfig) applyLlamaClass(t *Tokenizer) bool {
	if c.Class != "LlamaTokenizer" && c.Class != "LlamaTokenizerFast" {
		return false
	}
	if t.model.byteLevel || !writesSPMSpace(t.normalizer, t.pretok) {
		return false
	}
	addPrefixSpace := c.AddPrefixSpace == nil || *c.AddPrefixSpace
	scheme := "never"
	if addPrefixSpace {
		scheme = "first"
		if c.Legacy != nil && *c.Legacy {
			scheme = "always"
		}
	}
	t.normalizer = nil
	t.pretok = &metaspacePT{replacement: spmSpace, prepend: scheme, split: false}
	m := t.model
	m.byteFallback, m.fuseUnk, m.unkID = true, true, -1
	m.ignoreMerges, m.prefix, m.suffix = false, "", ""
	dec := decoderSeq{replaceDecoder{replace{pat: literal(spmSpace), content: " "}}, byteFallbackDecoder{}, fuseDecoder{}}
	if addPrefixSpace {
		dec = append(dec, stripDecoder{content: ' ', start: 1})
	}
	t.decoder = dec
	return true
}

// writesSPMSpace reports whether a file's normalizer or pre-tokenizer turns
// spaces into SentencePiece's "▁": the sign of a converted SentencePiece
// model.
func writesSPMSpace(n normalizer, p preTokenizer) bool {
	switch n := n.(type) {
	case normalizerSeq:
		for _, x := range n {
			if writesSPMSpace(x, nil) {
				return true
			}
		}
	case prepend:
		if string(n) == spmSpace {
			return true
		}
	case replace:
		if n.content == spmSpace {
			return true
		}
	}
	switch p := p.(type) {
	case preTokenizerSeq:
		for _, x := range p {
			if writesSPMSpace(nil, x) {
				return true
			}
		}
	case *metaspacePT:
		return p.replacement == spmSpace
	}
	return false
}
