package tokenizer

import (
	"encoding/json"
	"fmt"
)

// tokenizerConfig holds what this package reads from tokenizer_config.json:
// the names of the BOS and EOS tokens, and the class transformers builds
// with its flags (see llamaclass.go). Whether transformers adds a BOS is
// decided by tokenizer.json's post-processor, which Encode follows.
type tokenizerConfig struct {
	BOSToken string
	EOSToken string

	Class          string // tokenizer_class
	Legacy         *bool  // legacy; nil when absent
	AddPrefixSpace *bool  // add_prefix_space; nil when absent
}

// parse reads the fields of interest; a token may be given as a plain string
// or as an AddedToken object with a "content" field.
func (c *tokenizerConfig) parse(data []byte) error {
	var raw struct {
		BOS            json.RawMessage `json:"bos_token"`
		EOS            json.RawMessage `json:"eos_token"`
		Class          json.RawMessage `json:"tokenizer_class"`
		Legacy         json.RawMessage `json:"legacy"`
		AddPrefixSpace json.RawMessage `json:"add_prefix_space"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("parsing tokenizer_config.json: %w", err)
	}
	if !isNull(raw.Class) {
		if err := json.Unmarshal(raw.Class, &c.Class); err != nil {
			return fmt.Errorf("tokenizer_class: not a string")
		}
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  **bool
	}{{"legacy", raw.Legacy, &c.Legacy}, {"add_prefix_space", raw.AddPrefixSpace, &c.AddPrefixSpace}} {
		if isNull(f.raw) {
			continue
		}
		var b bool
		if err := json.Unmarshal(f.raw, &b); err != nil {
			return fmt.Errorf("%s: not true or false", f.name)
		}
		*f.dst = &b
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
