package gguf

// The tokenizer.ggml.pre values llama.cpp writes for the 2025-26 families,
// each mapped to the split its family's own tokenizer.json makes. Where
// llama.cpp rewrites a regex into an approximation its engine can run
// (gpt-4o's case-aware words become "[^a-z]" / "[^A-Z]" look-aheads), the
// original pattern is kept here: the ids must be those of the safetensors
// twin's tokenizer.
var (
	// o200k (tiktoken's o200k_base pat_str): gpt-oss's o200k_harmony and
	// Llama 4.
	reO200k = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?` +
		`|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?` +
		`|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// Qwen 3.5: Qwen 2's pattern with marks joined to letters.
	reQwen35 = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}` +
		`| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// Mistral's tekken (Ministral 3, Mistral Small 3.x, Pixtral's successors).
	reTekken = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+` +
		`|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*` +
		`|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

func init() {
	for pre, res := range map[string][]string{
		"gpt-4o":           {reO200k}, // gpt-oss
		"llama4":           {reO200k},
		"qwen35":           {reQwen35},
		"tekken":           {reTekken},        // Ministral 3
		"glm4":             {reLlama3},        // GLM-4, GLM-4.5 / 4.6 / 4.7
		"command-r":        {`\p{N}`, reGPT2}, // Command R, Command R7B / A (cohere2)
		"falcon-h1":        {reLlama3},
		"lfm2":             {reLlama3},
		"exaone4":          {reGPT2},
		"megrez":           {reQwen2},
		"kormo":            {reQwen2},
		"deepseek-r1-qwen": {reQwen2},
	} {
		preTokenizers[pre] = res
	}
	// llama.cpp adds a BOS and takes whole-token words whole for these too.
	for _, pre := range []string{"tekken", "falcon-h1", "lfm2"} {
		llama3Pre[pre] = true
	}
}

// preNormalizers: the normalizer of the families' tokenizer.json files,
// which llama.cpp does not apply. Qwen's and Cohere's files compose text to
// NFC first ("e" + U+0301 becomes "é"); applying it gives the ids of the
// safetensors twin.
var preNormalizers = map[string]any{
	"qwen2":            map[string]any{"type": "NFC"},
	"qwen35":           map[string]any{"type": "NFC"},
	"deepseek-r1-qwen": map[string]any{"type": "NFC"},
	"command-r":        map[string]any{"type": "NFC"}, // Cohere's files too
}
