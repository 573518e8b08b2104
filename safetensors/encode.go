package safetensors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"
)

// encodeHeader validates tensors and returns the padded JSON header
// describing them laid out back to back in the given order.
func encodeHeader(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	if len(metadata) > 0 {
		for k, v := range metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, fmt.Errorf("%s entry %q is not valid UTF-8", metadataKey, k)
			}
		}
		b.WriteString(`"` + metadataKey + `":{`)
		for i, k := range slices.Sorted(maps.Keys(metadata)) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, k)
			b.WriteByte(':')
			writeJSONString(&b, metadata[k])
		}
		b.WriteByte('}')
		first = false
	}
	seen := make(map[string]bool, len(tensors))
	var offset int64
	for _, t := range tensors {
		if err := checkWritable(t, seen); err != nil {
			return nil, err
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeJSONString(&b, t.Name)
		b.WriteString(`:{"dtype":`)
		writeJSONString(&b, string(t.DType))
		b.WriteString(`,"shape":[`)
		for i, d := range t.Shape {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		end := offset + int64(len(t.Data))
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, offset, end)
		offset = end
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	if b.Len() > maxHeaderSize {
		return nil, fmt.Errorf("header would be %d bytes, over the %d-byte limit", b.Len(), maxHeaderSize)
	}
	return b.Bytes(), nil
}

// checkWritable rejects a tensor the reference reader would refuse: an
// unknown dtype, a bad shape, data of the wrong length, or a name that is
// reserved, duplicated or not UTF-8 (JSON would silently mangle it).
func checkWritable(t Tensor, seen map[string]bool) error {
	switch {
	case t.Name == metadataKey:
		return fmt.Errorf("tensor name %q is reserved", t.Name)
	case seen[t.Name]:
		return fmt.Errorf("tensor %q given twice", t.Name)
	case !utf8.ValidString(t.Name):
		return fmt.Errorf("tensor %q: name is not valid UTF-8", t.Name)
	case !t.DType.known():
		return fmt.Errorf("tensor %q: unknown dtype %q", t.Name, t.DType)
	}
	seen[t.Name] = true
	n := t.NumElements()
	if n < 0 || n > len(t.Data)/t.DType.Size() || n*t.DType.Size() != len(t.Data) {
		return fmt.Errorf("tensor %q: %d bytes of data do not match shape %v of %s", t.Name, len(t.Data), t.Shape, t.DType)
	}
	return nil
}

// writeJSONString writes s as a JSON string without HTML escaping, as
// serde_json does.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	b.Truncate(b.Len() - 1) // drop Encode's trailing newline
}
