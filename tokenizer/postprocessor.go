package tokenizer

import (
	"encoding/json"
	"fmt"
)

// postProcessor adds special tokens around a single encoded sequence.
type postProcessor interface {
	process(ids []int) []int
}

// newPostProcessor builds the post-processor described by raw; nil means none.
func newPostProcessor(raw json.RawMessage) (postProcessor, error) {
	if isNull(raw) {
		return nil, nil
	}
	typ, err := componentType(raw)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "Sequence":
		seq, err := parseSequence(raw, "processors", newPostProcessor)
		return postSeq(seq), err
	case "ByteLevel":
		// Only adjusts offsets; the ids are unchanged.
		return nil, nil
	case "TemplateProcessing":
		return parseTemplate(raw)
	case "BertProcessing", "RobertaProcessing":
		var j struct {
			Sep [2]json.RawMessage `json:"sep"`
			Cls [2]json.RawMessage `json:"cls"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("%s: %w", typ, err)
		}
		var cls, sep int
		if err := json.Unmarshal(j.Cls[1], &cls); err != nil {
			return nil, fmt.Errorf("%s: cls: %w", typ, err)
		}
		if err := json.Unmarshal(j.Sep[1], &sep); err != nil {
			return nil, fmt.Errorf("%s: sep: %w", typ, err)
		}
		return template{before: []int{cls}, after: []int{sep}}, nil
	}
	return nil, fmt.Errorf("post-processor type %q is not supported", typ)
}

// postSeq applies post-processors in order.
type postSeq []postProcessor

func (q postSeq) process(ids []int) []int {
	for _, p := range q {
		ids = p.process(ids)
	}
	return ids
}

// template is a single-sequence template: special ids before and after $A.
type template struct {
	before, after []int
}

func (t template) process(ids []int) []int {
	out := make([]int, 0, len(t.before)+len(ids)+len(t.after))
	out = append(out, t.before...)
	out = append(out, ids...)
	return append(out, t.after...)
}

// parseTemplate reads TemplateProcessing's "single" template; "pair" is not
// used since Encode takes one sequence.
func parseTemplate(raw json.RawMessage) (postProcessor, error) {
	var j struct {
		Single []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
			Sequence *struct {
				ID string `json:"id"`
			} `json:"Sequence"`
		} `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int `json:"ids"`
		} `json:"special_tokens"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("TemplateProcessing: %w", err)
	}
	var t template
	seen := false
	for _, item := range j.Single {
		switch {
		case item.Sequence != nil:
			if seen {
				return nil, fmt.Errorf("TemplateProcessing: single template has two sequences")
			}
			seen = true
		case item.SpecialToken != nil:
			st, ok := j.SpecialTokens[item.SpecialToken.ID]
			if !ok {
				return nil, fmt.Errorf("TemplateProcessing: special token %q is not in special_tokens", item.SpecialToken.ID)
			}
			if seen {
				t.after = append(t.after, st.IDs...)
			} else {
				t.before = append(t.before, st.IDs...)
			}
		default:
			return nil, fmt.Errorf("TemplateProcessing: single template item is neither SpecialToken nor Sequence")
		}
	}
	if !seen {
		return nil, fmt.Errorf("TemplateProcessing: single template has no sequence")
	}
	return t, nil
}
