package tokenizer

// The Split regexes of the 2026 families (as written in tokenizer.json).
const (
	// o200kPattern: tiktoken's o200k_base, used by gpt-oss (o200k_harmony)
	// and Llama 4. Words are case-aware: a run of upper-case (or title-case,
	// modifier, other) letters and marks, then lower-case ones, with an
	// optional contraction suffix; numbers go by up to three digits.
	o200kPattern = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?` +
		`|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?` +
		`|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// qwen35Pattern: Qwen 3.5 / Qwen3-Next's: Qwen 2's, with marks (\p{M})
	// joined to letters and kept out of symbol runs.
	qwen35Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}` +
		`| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)
