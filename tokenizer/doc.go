// Package tokenizer encodes text into token ids exactly as transformers'
// AutoTokenizer(text) does for a model's tokenizer.json and
// tokenizer_config.json, and decodes ids back into text. That is the Hugging
// Face tokenizers library's encoding of tokenizer.json, except where
// transformers rebuilds part of the pipeline from the config's class (a
// SentencePiece-style file under LlamaTokenizer: see llamaclass.go).
//
// It implements the pipeline the Hugging Face library runs: added (special)
// tokens are split out of the raw text first, the remaining pieces go through
// the normalizer, the pre-tokenizer and the BPE model, and the post-processor
// adds the template's special tokens. Supported components are the ones found
// in byte-level BPE files (Llama 3, Qwen 2/3, DeepSeek-V3, GPT-2 style) and
// SentencePiece-style BPE files (Llama 2, Mistral, llama2.c conversions):
//
//   - model: BPE (vocab, merges as "a b" strings or [a, b] pairs, byte_fallback,
//     unk_token, fuse_unk, ignore_merges, continuing_subword_prefix,
//     end_of_word_suffix);
//   - normalizers: NFC, NFD, NFKC, NFKD, Prepend, Replace, Strip, Sequence
//     (not Lowercase: a file with it is refused when loaded);
//   - pre-tokenizers: Split, ByteLevel, Metaspace, Sequence;
//   - post-processors: TemplateProcessing, ByteLevel, RobertaProcessing,
//     BertProcessing, Sequence;
//   - decoders: ByteLevel, ByteFallback, Fuse, Strip, Replace, Metaspace,
//     Sequence.
//
// FromJSON builds a tokenizer from tokenizer.json bytes made by another
// reader (GGUF files); FromJSONScored does so for a SentencePiece vocabulary
// that merges by token score, as llama.cpp's SPM tokenizer does, instead of
// by BPE merges.
//
// Load fails with an error naming the component when a file uses anything
// else (a Unigram or WordPiece model, another normalizer, BPE dropout, ...):
// there is no silent fallback that would produce different ids.
//
// # Regexes and Unicode
//
// Split and Replace patterns are Oniguruma (Ruby syntax) regexes in the
// library; they run here on regexp2 after a rewrite of what the two read
// differently (\w, \b, ^, $, the option m, {,n}, and Unicode 16's code
// points in \p{..} and \d; see onigTranslate). Constructs with no faithful
// rewrite (POSIX brackets, nested classes, "&&") are refused. Empty matches
// split and replace as in the library. The Unicode normalization forms leave
// alone the code points the library's older tables lack (hfNormUnassigned).
// Known differences left: \p{C} and \p{Cn} still count Unicode 16's code
// points as unassigned, and case-insensitive groups fold "ſ" to "s" only in
// the contraction group of the Llama 3 / GPT-4 style patterns.
//
// # Invalid UTF-8
//
// Hugging Face tokenizers only ever sees valid UTF-8 (Rust strings, and
// Python str values, cannot hold anything else). Encode therefore first
// replaces every invalid byte sequence in its input with U+FFFD, one
// replacement per maximal invalid subpart, which is what Python's
// bytes.decode("utf-8", errors="replace") and Rust's String::from_utf8_lossy
// do. Decode uses the same rule when the decoded bytes are not valid UTF-8.
//
// A Tokenizer is safe for concurrent use.
package tokenizer
