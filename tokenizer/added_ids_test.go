package tokenizer

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

// addedIDsJSON is a four-token BPE file whose added_tokens entries are
// given as (file id, content, special).
func addedIDsJSON(t *testing.T, added []any) []byte {
	t.Helper()
	var list []map[string]any
	for i := 0; i < len(added); i += 3 {
		list = append(list, map[string]any{"id": added[i], "content": added[i+1], "special": added[i+2],
			"single_word": false, "lstrip": false, "rstrip": false, "normalized": false})
	}
	js, err := json.Marshal(map[string]any{
		"version": "1.0", "added_tokens": list, "normalizer": nil, "pre_tokenizer": nil,
		"post_processor": nil, "decoder": nil,
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil, "fuse_unk": false,
			"byte_fallback": false, "vocab": map[string]int{"a": 0, "b": 1, "c": 2, "ab": 3},
			"merges": [][2]string{{"a", "b"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// TestAddedTokenIDsAsHF checks that added tokens get the ids the tokenizers
// library gives them, not the ids written in the file: the library's
// deserializer ignores those (it only warns) and numbers the tokens that are
// not in the model's vocabulary in file order from the vocabulary's size.
// The wants come from tokenizers 0.22.2 and 0.23.3:
//
//	t = Tokenizer.from_str(json.dumps(file))
//	t.encode("<x>ab<y>c<z>", add_special_tokens=False).ids, t.get_vocab_size(True)
func TestAddedTokenIDsAsHF(t *testing.T) {
	for _, c := range []struct {
		added []any
		want  []int
		size  int
	}{
		// ids with gaps: renumbered 4, 5, 6 in file order.
		{[]any{10, "<x>", true, 20, "<y>", true, 4, "<z>", true}, []int{4, 3, 5, 2, 6}, 7},
		// out of order, and "ab" keeps the model's id 3 whatever the file says.
		{[]any{7, "<y>", true, 4, "<x>", true, 2, "ab", true}, []int{5, 3, 4, 2}, 6},
		// a repeated content takes the first one's id; ids are not consumed.
		{[]any{4, "<x>", true, 5, "<x>", true, 6, "<y>", true}, []int{4, 3, 5, 2}, 6},
		{[]any{4, "<x>", true, 5, "<x>", false, 6, "<y>", true}, []int{4, 3, 5, 2}, 6},
		// an empty content is ignored.
		{[]any{4, "<x>", true, 5, "", false, 6, "<y>", true}, []int{4, 3, 5, 2}, 6},
	} {
		name := fmt.Sprint(c.added)
		tk, err := parse(addedIDsJSON(t, c.added))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := tk.Encode("<x>ab<y>c<z>", false); !slices.Equal(got, c.want) {
			t.Errorf("%s: Encode = %v, want %v", name, got, c.want)
		}
		if got := tk.VocabSize(); got != c.size {
			t.Errorf("%s: VocabSize = %d, want %d", name, got, c.size)
		}
	}
	// The repeated "<x>" with special false replaces the first, but the
	// library keeps its content in the set of special tokens, which decoding
	// skips by content: t.decode([4, 3], skip_special_tokens=True) == "ab".
	tk, err := parse(addedIDsJSON(t, []any{4, "<x>", true, 5, "<x>", false}))
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.Decode([]int{4, 3}, true); got != "ab" {
		t.Errorf("Decode skipping specials = %q, want %q", got, "ab")
	}
}
