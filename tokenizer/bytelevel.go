package tokenizer

// The byte-level alphabet of GPT-2, used by ByteLevel pre-tokenizers and
// decoders: every byte maps to one printable character. Bytes that are
// printable Latin-1 map to themselves; the others (controls, space, DEL,
// NBSP, soft hyphen...) map in order to U+0100 and up, so " " becomes "Ġ"
// and "\n" becomes "Ċ".
var (
	byteToChar [256]rune
	byteToStr  [256]string
	charToByte = make(map[rune]byte, 256)
)

func init() {
	n := 0
	for b := 0; b < 256; b++ {
		printable := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
		r := rune(b)
		if !printable {
			r = rune(256 + n)
			n++
		}
		byteToChar[b] = r
		byteToStr[b] = string(r)
		charToByte[r] = byte(b)
	}
}

// byteLevelDecode maps a string of byte-level characters back to the bytes
// they stand for. ok is false if some character is outside the alphabet.
func byteLevelDecode(s string) (b []byte, ok bool) {
	b = make([]byte, 0, len(s))
	for _, r := range s {
		c, in := charToByte[r]
		if !in {
			return nil, false
		}
		b = append(b, c)
	}
	return b, true
}
