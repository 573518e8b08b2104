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
// It applies only to files whose own pipeline is SentencePiece-style (a "▁"
// for spaces, byte fallback). A byte-level file under that class name
// (DeepSeek-V3's) comes out of transformers' rebuild giving wrong ids, which
// transformers itself works around for such model types by loading
// tokenizer.json as is; we keep the file's pipeline there.

const spmSpace = "▁"

// llamaClassPipeline returns the pre-tokenizer transformers' LlamaTokenizer
// would use in place of the file's normalizer and pre-tokenizer, and whether
// the rule applies to t.
func (c tokenizerConfig) llamaClassPipeline(t *Tokenizer) (preTokenizer, bool) {
	if c.Class != "LlamaTokenizer" && c.Class != "LlamaTokenizerFast" {
		return nil, false
	}
	if !t.model.byteFallback || t.model.byteLevel || !writesSPMSpace(t.normalizer, t.pretok) {
		return nil, false
	}
	scheme := "never"
	if c.AddPrefixSpace == nil || *c.AddPrefixSpace {
		scheme = "first"
		if c.Legacy != nil && *c.Legacy {
			scheme = "always"
		}
	}
	return &metaspacePT{replacement: spmSpace, prepend: scheme, split: false}, true
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
