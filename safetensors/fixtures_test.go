package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// fixtureFile maps the fixtures' former ../shared layout onto where the
// repository carries them.
func fixtureFile(parts ...string) string {
	if parts[0] == "models" { // models/stories260K/...
		return filepath.Join(append([]string{fixture.Stories260K()}, parts[2:]...)...)
	}
	return fixture.Path(parts[1:]...) // fixtures/<what>/...
}

// openT opens a checkpoint and closes it when the test ends.
func openT(t *testing.T, path string) *Checkpoint {
	t.Helper()
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// wantInfo checks one tensor's header entry.
func wantInfo(t *testing.T, c *Checkpoint, name string, dt DType, shape ...int) {
	t.Helper()
	gdt, gshape, ok := c.Info(name)
	if !ok || gdt != dt || !slices.Equal(gshape, shape) {
		t.Errorf("Info(%q) = %s %v %v, want %s %v", name, gdt, gshape, ok, dt, shape)
	}
}

// TestFixturesCrossCheck opens every single-file fixture and compares it
// tensor by tensor with the independent reference parser.
func TestFixturesCrossCheck(t *testing.T) {
	paths, _ := filepath.Glob(fixtureFile("fixtures", "archs", "*", "*.safetensors"))
	paths = append(paths,
		fixtureFile("fixtures", "kvpress_qfilt", "model.safetensors"),
		fixtureFile("models", "stories260K", "model.safetensors"))
	n := 0
	for _, p := range paths {
		if strings.Contains(filepath.Base(p), "-of-") {
			continue // shards are checked through the index
		}
		c := openT(t, p)
		crossCheck(t, c, p, nil)
		n++
	}
	if n < 10 {
		t.Errorf("cross-checked only %d fixture files", n)
	}
}

// TestLlama31Sharded opens the 10-shard bf16 fixture through its index.
func TestLlama31Sharded(t *testing.T) {
	dir := fixtureFile("fixtures", "archs", "llama31")
	c := openT(t, dir)
	if got := len(c.Names()); got != 30 {
		t.Errorf("%d tensors, want 30", got)
	}
	if got := len(c.Files()); got != 10 {
		t.Errorf("Files() = %v, want 10 shards", c.Files())
	}
	if c.Metadata()["format"] != "pt" {
		t.Errorf("Metadata() = %v, want format=pt", c.Metadata())
	}
	wantInfo(t, c, "model.embed_tokens.weight", BF16, 384, 64)
	wantInfo(t, c, "lm_head.weight", BF16, 384, 64)
	if !c.Has("model.layers.0.mlp.gate_proj.weight") || c.Has("model.layers.99.mlp.gate_proj.weight") {
		t.Error("Has gives wrong answers")
	}
	for _, f := range c.Files() {
		crossCheck(t, c, f, nil)
	}

	// bf16 -> f32 of the embedding, computed by hand from the raw shard bytes:
	// header length 120, so data starts at 128; each value is bits << 16.
	raw, err := os.ReadFile(filepath.Join(dir, "model-00001-of-00010.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint64(raw) != 120 {
		t.Fatalf("unexpected header length %d", binary.LittleEndian.Uint64(raw))
	}
	emb, err := c.Tensor("model.embed_tokens.weight")
	if err != nil {
		t.Fatal(err)
	}
	f, err := emb.Float32()
	if err != nil {
		t.Fatal(err)
	}
	if len(f) != 384*64 {
		t.Fatalf("%d values", len(f))
	}
	for _, i := range []int{0, 1, 63, 64, 1000, 384*64 - 1} {
		bits := uint32(raw[128+2*i]) | uint32(raw[128+2*i+1])<<8
		if want := math.Float32frombits(bits << 16); f[i] != want {
			t.Errorf("embed[%d] = %v, want %v", i, f[i], want)
		}
	}
	nonzero := 0
	for _, v := range f {
		if v != 0 && !math.IsNaN(float64(v)) {
			nonzero++
		}
	}
	if nonzero < len(f)/2 {
		t.Errorf("only %d of %d embedding values are nonzero", nonzero, len(f))
	}
}

// TestLlama2F16 checks names, dtypes and a hand-decoded f16 value.
func TestLlama2F16(t *testing.T) {
	path := fixtureFile("fixtures", "archs", "llama2", "model.safetensors")
	c := openT(t, path)
	wantInfo(t, c, "lm_head.weight", F16, 384, 64)
	wantInfo(t, c, "model.layers.0.input_layernorm.weight", F16, 64)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dataStart := 8 + int(binary.LittleEndian.Uint64(raw))
	lm, err := c.Tensor("lm_head.weight") // data_offsets [0, 49152]
	if err != nil {
		t.Fatal(err)
	}
	f, err := lm.Float32()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 7, 384*64 - 1} {
		h := binary.LittleEndian.Uint16(raw[dataStart+2*i:])
		if want := halfOracle(h); float64(f[i]) != want {
			t.Errorf("lm_head[%d] = %v, want %v", i, f[i], want)
		}
	}
}

// TestOlmo2AndGolden checks an f32 model and the F32/I64 golden tensors.
func TestOlmo2AndGolden(t *testing.T) {
	dir := fixtureFile("fixtures", "archs", "olmo2")
	c := openT(t, dir)
	if len(c.Names()) != 36 || !slices.Equal(c.Files(), []string{filepath.Join(dir, "model.safetensors")}) {
		t.Errorf("olmo2: %d tensors, files %v", len(c.Names()), c.Files())
	}
	wantInfo(t, c, "model.layers.0.mlp.down_proj.weight", F32, 64, 128)

	g := openT(t, fixtureFile("fixtures", "archs", "llama31", "golden.safetensors"))
	wantInfo(t, g, "input_ids", I64, 3, 24)
	wantInfo(t, g, "filters", F32, 3, 2, 16)
	ids, err := g.Tensor("input_ids")
	if err != nil {
		t.Fatal(err)
	}
	iv, err := ids.Int64()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range iv {
		if id < 0 || id >= 384 {
			t.Errorf("input id %d outside vocabulary of 384", id)
		}
	}
	if _, err := ids.Float32(); err == nil || !strings.Contains(err.Error(), `"input_ids"`) {
		t.Errorf("Float32 of I64 tensor: %v", err)
	}
	if !strings.Contains(g.Metadata()["note"], "float32 eager forward") {
		t.Errorf("golden metadata = %v", g.Metadata())
	}
}

// TestKVPressAndStories checks the kvpress q_filters file (no metadata) and
// the stories260K model.
func TestKVPressAndStories(t *testing.T) {
	c := openT(t, fixtureFile("fixtures", "kvpress_qfilt", "model.safetensors"))
	if !slices.Equal(c.Names(), []string{"q_filters"}) || len(c.Metadata()) != 0 {
		t.Errorf("kvpress: names %v, metadata %v", c.Names(), c.Metadata())
	}
	q, err := c.Tensor("q_filters")
	if err != nil {
		t.Fatal(err)
	}
	f, err := q.Float32()
	if err != nil || len(f) != 96 {
		t.Fatalf("q_filters: %d values, %v", len(f), err)
	}
	s := openT(t, fixtureFile("models", "stories260K"))
	if len(s.Names()) != 48 {
		t.Errorf("stories260K: %d tensors, want 48", len(s.Names()))
	}
	wantInfo(t, s, "model.embed_tokens.weight", F32, 512, 64)
	wantInfo(t, s, "model.layers.0.mlp.down_proj.weight", F32, 64, 172)
}

// TestRewriteByteIdentical re-writes fixtures produced by the Python
// safetensors library (same tensors, same data order, same one-key
// metadata) and expects identical bytes: the header layout, key order and
// space padding of Write match the reference writer.
func TestRewriteByteIdentical(t *testing.T) {
	paths := []string{
		fixtureFile("fixtures", "kvpress_qfilt", "model.safetensors"),
		fixtureFile("fixtures", "archs", "llama2", "model.safetensors"),
		fixtureFile("models", "stories260K", "model.safetensors"),
	}
	shards, _ := filepath.Glob(fixtureFile("fixtures", "archs", "llama31", "model-*.safetensors"))
	paths = append(paths, shards...)
	out := filepath.Join(t.TempDir(), "re.safetensors")
	for _, p := range paths {
		c := openT(t, p)
		s := c.shards[0]
		order := slices.SortedFunc(maps.Values(s.entries), func(a, b entry) int { return cmp.Compare(a.begin, b.begin) })
		var tensors []Tensor
		for _, e := range order {
			tt, err := c.Tensor(e.name)
			if err != nil {
				t.Fatal(err)
			}
			tensors = append(tensors, tt)
		}
		if err := Write(out, tensors, c.Metadata()); err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			n := min(len(got), len(want), 300)
			t.Errorf("%s: rewrite differs (%d vs %d bytes)\n got %q\nwant %q", p, len(got), len(want), got[:n], want[:n])
		}
	}
}
