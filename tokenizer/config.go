package tokenizer

import (
	"encoding/json"
	"fmt"
)

// tokenizerConfig holds what this package reads from tokenizer_config.json:
// the names of the BOS and EOS tokens. Whether transformers adds a BOS is
// decided by tokenizer.json's post-processor, which Encode follows.
type tokenizerConfig struct {
	BOSToken string
	EOSToken string
}

// parse reads the fields of interest; a token may be given as a plain string
// or as an AddedToken object with a "content" field.
func (c *tokenizerConfig) parse(data []byte) error {
	var raw struct {
		BOS json.RawMessage `json:"bos_token"`
		EOS json.RawMessage `json:"eos_token"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("parsing tokenizer_config.json: %w", err)
	}
	var err error
	if c.BOSToken, err = tokenName(raw.BOS); err != nil {
		return fmt.Errorf("bos_token: %w", err)
	}
	if c.EOSToken, err = tokenName(raw.EOS); err != nil {
		return fmt.Errorf("eos_token: %w", err)
	}
	return nil
}

// tokenName decodes a special-token entry: null, "content" or
// {"content": "...", ...}.
func tokenName(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var obj struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", fmt.Errorf("neither a string nor a token object: %w", err)
	}
	return obj.Content, nil
}
