package gguf

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

func storiesPath() string { return fixture.Path("stories260K-gguf", "stories260K.gguf") }

func TestReadStories260K(t *testing.T) {
	g, err := Open(storiesPath())
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.Version != 3 || len(g.Tensors()) != 48 || len(g.Keys()) != 19 || g.DataOffset != 14176 {
		t.Fatalf("version %d, %d tensors, %d keys, data at %d; PROVENANCE.md says 3, 48, 19, 14176",
			g.Version, len(g.Tensors()), len(g.Keys()), g.DataOffset)
	}
	q, ok := g.Tensor("blk.0.attn_k.weight")
	if !ok || q.Type != F32 || !equalInts(q.Dims, []int{64, 32}) {
		t.Fatalf("blk.0.attn_k.weight: %+v", q)
	}
	toks, _ := g.Value("tokenizer.ggml.tokens")
	if s, _ := toks.Strings(); len(s) != 512 || s[1] != "<s>" {
		t.Fatalf("tokens: %d, %q", len(s), s[:3])
	}
	eps, _, _ := g.floatKey("llama.attention.layer_norm_rms_epsilon")
	if eps != 1e-5 {
		t.Errorf("rms epsilon %v, want the config's 1e-05", eps)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestBadFiles: every malformed file is refused with one line naming the
// problem, never a panic or a huge allocation.
func TestBadFiles(t *testing.T) {
	good, err := os.ReadFile(storiesPath())
	if err != nil {
		t.Fatal(err)
	}
	put32 := func(b []byte, off int, v uint32) []byte {
		b = bytes.Clone(b)
		binary.LittleEndian.PutUint32(b[off:], v)
		return b
	}
	put64 := func(b []byte, off int, v uint64) []byte {
		b = bytes.Clone(b)
		binary.LittleEndian.PutUint64(b[off:], v)
		return b
	}
	g, _ := parse(bytes.NewReader(good), int64(len(good)))
	// Offset of the first tensor entry's type field: find it by name.
	first := g.tensors[0]
	at := bytes.Index(good, []byte(first.Name)) + len(first.Name) + 4 + 8*len(first.Dims)
	// A matrix's dims: the first 0, so that no bound on the element count
	// stops the second from exceeding an int.
	var mat TensorInfo
	for _, tn := range g.tensors {
		if len(tn.Dims) == 2 {
			mat = tn
			break
		}
	}
	dims := bytes.Index(good, []byte(mat.Name)) + len(mat.Name) + 4
	zeroThenHuge := put64(put64(good, dims, 0), dims+8, 1<<63)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"dimension past an int", zeroThenHuge, "tensor " + mat.Name + ": dimension 9223372036854775808 is not a valid size"},
		{"bad magic", append([]byte("GGML"), good[4:]...), "not a GGUF file"},
		{"Git LFS pointer", []byte("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 4920739840\n"), "a Git LFS pointer (size 4920739840)"},
		{"empty", nil, "shorter than its 4-byte magic"},
		{"version 1", put32(good, 4, 1), "version 1 is not supported"},
		{"version 7", put32(good, 4, 7), "version 7 is not supported"},
		{"big-endian", put32(good, 4, 3<<24), "big-endian"},
		{"huge tensor count", put64(good, 8, 1<<60), "1152921504606846976 tensors cannot fit"},
		{"huge kv count", put64(good, 16, 1<<60), "metadata entries cannot fit"},
		{"truncated header", good[:100], "truncated"},
		{"truncated data", good[:len(good)-10], "extends past the end of the file"},
		{"unknown tensor type", put32(good, at, 99), "unknown type 99"},
		{"removed tensor type", put32(good, at, 4), "unknown type 4"},
	}
	for _, c := range cases {
		_, err := parse(bytes.NewReader(c.data), int64(len(c.data)))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", c.name, err, c.want)
		}
	}
}

// TestUnsupportedType: a file holding a tensor of a type we cannot
// dequantize opens as a file but not as a model, naming the type.
func TestUnsupportedType(t *testing.T) {
	good, err := os.ReadFile(storiesPath())
	if err != nil {
		t.Fatal(err)
	}
	g, _ := parse(bytes.NewReader(good), int64(len(good)))
	var name string
	var at int
	for _, tn := range g.tensors {
		if tn.Name == "blk.2.ffn_norm.weight" {
			name = tn.Name
			at = bytes.Index(good, []byte(name+"\x01\x00\x00\x00")) + len(name) + 4 + 8
		}
	}
	bad := bytes.Clone(good)
	binary.LittleEndian.PutUint32(bad[at:], 24) // I8: same element size class, parses
	path := filepath.Join(t.TempDir(), "bad.gguf")
	os.WriteFile(path, bad, 0o644)
	_, err = OpenModel(path)
	if err == nil || !strings.Contains(err.Error(), "tensor blk.2.ffn_norm.weight has type I8") {
		t.Fatalf("error %v", err)
	}
}

func FuzzParse(f *testing.F) {
	good, err := os.ReadFile(storiesPath())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good[:20000])
	f.Add(good[:64])
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := parse(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		for _, ti := range g.tensors {
			if ti.Offset < g.DataOffset || ti.Offset+ti.Size > int64(len(data)) {
				t.Fatalf("tensor %s out of bounds", ti.Name)
			}
			if ti.Type.Supported() && ti.Size < 1<<20 {
				if _, err := g.Float32(ti); err != nil {
					t.Fatal(err)
				}
			}
		}
		oneLine := func(err error) {
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
		}
		m, err := newModel(g)
		oneLine(err)
		if err == nil {
			for _, n := range m.Names() {
				if ti, _ := m.info(n); ti.Size < 1<<20 {
					_, err := m.Tensor(n)
					oneLine(err)
				}
			}
		}
		_, err = g.Tokenizer()
		oneLine(err)
	})
}

// TestRefusedModels: files this package reads but cannot present as a
// supported checkpoint say why.
func TestRefusedModels(t *testing.T) {
	base := []KV{{"general.architecture", "llama"}, {"llama.block_count", uint32(1)}, {"llama.embedding_length", uint32(8)},
		{"llama.feed_forward_length", uint32(8)}, {"llama.attention.head_count", uint32(2)}, {"llama.vocab_size", uint32(4)}}
	for _, c := range []struct {
		kvs  []KV
		want string
	}{
		{append(slices.Clone(base), KV{"llama.expert_count", uint32(8)}), "mixture-of-experts GGUF files (llama.expert_count = 8)"},
		{append(slices.Clone(base), KV{"llama.attention.head_count_kv", []int32{2, 1}}), "per-layer array"},
		{append(slices.Clone(base), KV{"llama.rope.scaling.type", "longrope"}), `rope scaling "longrope" is not supported`},
		{append(slices.Clone(base), KV{"llama.rope.scaling.type", "yarn"}), `rope scaling yarn without a positive llama.rope.scaling.factor`},
		{[]KV{{"general.architecture", "bert"}}, `GGUF architecture "bert" is not supported`},
		{base[:3], "metadata llama.feed_forward_length is missing"},
	} {
		path := filepath.Join(t.TempDir(), "m.gguf")
		os.WriteFile(path, EncodeFile(3, 0, c.kvs, nil), 0o644)
		if _, err := OpenModel(path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}
