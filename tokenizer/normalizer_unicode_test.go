package tokenizer

import (
	"encoding/json"
	"testing"
)

// TestUnicodeFormsAsHF checks NFC, NFD, NFKC and NFKD on code points the
// tokenizers library's tables do not have (they predate Unicode 11) and
// golang.org/x/text's do: the library leaves them as they are, and they stop
// reordering and composition. The wants come from tokenizers 0.22.2 and
// 0.23.3:
//
//	from tokenizers import normalizers as N
//	ascii(N.NFKC().normalize_str(text))
func TestUnicodeFormsAsHF(t *testing.T) {
	for _, c := range []struct{ form, text, want string }{
		{"NFKC", "㋿ 令和 ﬁ", "㋿ 令和 fi"},                                // U+32FF (Unicode 12.1) has no decomposition there
		{"NFKC", "\U0001FBF1\U0001FBF2x²", "\U0001FBF1\U0001FBF2x2"}, // segmented digits (13.0)
		{"NFKD", "ꟲ", "ꟲ"},                                           // U+A7F2 (14.0)
		{"NFC", "\u07fd\u0334", "\u07fd\u0334"},                      // U+07FD (11.0) is no mark there: no reordering
		{"NFC", "e\u1abf\u0301", "e\u1abf\u0301"},                    // nor U+1ABF (14.0): blocks é
		{"NFC", "e\u0301\u1abf", "\u00e9\u1abf"},
		{"NFC", "\U00011935\U00011930", "\U00011935\U00011930"}, // no U+11938 (13.0)
		{"NFD", "\U00011938", "\U00011938"},
		{"NFKD", "ﬁ\u07fd\u0334é", "fi\u07fd\u0334e\u0301"},
	} {
		n, err := newNormalizer(json.RawMessage(`{"type": "` + c.form + `"}`))
		if err != nil {
			t.Fatal(err)
		}
		if got := n.normalize(c.text); got != c.want {
			t.Errorf("%s(%+q) = %+q, want %+q", c.form, c.text, got, c.want)
		}
	}
}
