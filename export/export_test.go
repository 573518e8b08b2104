package export

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"

	"github.com/qfilters/qfilters/safetensors"
)

var fixtureDir = fixture.Path("kvpress_qfilt")

// sample builds a small complete Filters (L=2, KV=2, H=4, D=4).
func sample() *Filters {
	const L, KV, H, D = 2, 2, 4, 4
	f := &Filters{Layers: L, KVHeads: KV, Heads: H, HeadDim: D}
	for i := 0; i < L*KV*D; i++ {
		f.QFilters = append(f.QFilters, float32(i)/10-1)
	}
	for i := 0; i < L*H*D; i++ {
		f.PerQueryHead = append(f.PerQueryHead, float32(i%7)/7)
	}
	for i := 0; i < L*H; i++ {
		f.SingularValues = append(f.SingularValues, 4, 1, 1, 0)
		f.SignAgreement = append(f.SignAgreement, float32(i)/float32(L*H))
	}
	f.Provenance = &Provenance{
		Tool: "qfilters", Version: "0.1.0-test", Model: "org/tiny", ModelType: "llama",
		ConfigSHA256: "abc", Corpus: "corpus.jsonl", CorpusSHA256: "def", TextField: "text",
		SeqLen: 128, NumSeqs: 4, Tokens: 512, Samples: "all", Seed: 7, Sign: "vote",
		Precision: "f32", Extra: map[string]string{"b": "2", "a": "1"},
	}
	return f
}

func TestRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tiny_qfilt")
	f := sample()
	if err := Write(dir, f); err != nil {
		t.Fatal(err)
	}
	g, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f, g) {
		t.Fatalf("round trip differs:\nwrote %+v\nread  %+v", f, g)
	}
	for _, name := range []string{ModelFile, ConfigFile, ReadmeFile, ExtraFile, ProvenanceFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	// model.safetensors holds q_filters and nothing else.
	ck, err := safetensors.Open(filepath.Join(dir, ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	for _, n := range []string{PerQueryHeadTensor, SingularValuesTensor, SignAgreementTensor} {
		if ck.Has(n) {
			t.Errorf("model.safetensors must not hold %s", n)
		}
	}
	readme, _ := os.ReadFile(filepath.Join(dir, ReadmeFile))
	for _, want := range []string{"tags:\n- model_hub_mixin\n- pytorch_model_hub_mixin\n", "org/tiny", "corpus.jsonl", "QFilters.from_pretrained", "class LocalQFilterPress(QFilterPress)", "def post_init_from_model(self, model):", "vote"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md lacks %q", want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	base := t.TempDir()
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	if err := Write(a, sample()); err != nil {
		t.Fatal(err)
	}
	if err := Write(b, sample()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ModelFile, ConfigFile, ReadmeFile, ExtraFile, ProvenanceFile} {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two writes", name)
		}
	}
}

// TestMatchesPythonLibrary writes the fixture's tensor and compares the files
// the Python library wrote for it, byte for byte.
func TestMatchesPythonLibrary(t *testing.T) {
	ref, err := Read(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Layers != 3 || ref.KVHeads != 2 || ref.HeadDim != 16 || ref.Heads != 0 {
		t.Fatalf("fixture sizes: %+v", ref)
	}
	if ref.PerQueryHead != nil || ref.SingularValues != nil || ref.SignAgreement != nil || ref.Provenance != nil {
		t.Fatal("reference directory must give nil optional fields")
	}
	f := &Filters{Layers: ref.Layers, KVHeads: ref.KVHeads, HeadDim: ref.HeadDim, QFilters: ref.QFilters}
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, f); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ModelFile, ConfigFile} {
		want, err := os.ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the Python library's:\ngot  %q\nwant %q", name, got, want)
		}
	}
	// Without per-query data or provenance, only the kvpress files are written.
	for _, name := range []string{ExtraFile, ProvenanceFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s written for a Filters without that data", name)
		}
	}
	readme, _ := os.ReadFile(filepath.Join(dir, ReadmeFile))
	fixReadme, _ := os.ReadFile(filepath.Join(fixtureDir, ReadmeFile))
	front := string(fixReadme[:strings.Index(string(fixReadme[4:]), "---")+8])
	if !strings.HasPrefix(string(readme), front) {
		t.Errorf("README front matter differs from the fixture's %q", front)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadConfigMismatch(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, fixtureDir, dir)
	cfg := "{\n  \"kv_head_dim\": 8,\n  \"num_kv_heads\": 2,\n  \"num_layers\": 3\n}"
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Read(dir)
	if err == nil || !strings.Contains(err.Error(), "kv_head_dim=8") || !strings.Contains(err.Error(), "[3 2 16]") {
		t.Fatalf("want a config/tensor mismatch error, got %v", err)
	}
}

func TestReadMissingFiles(t *testing.T) {
	for _, missing := range []string{ConfigFile, ModelFile} {
		dir := t.TempDir()
		copyDir(t, fixtureDir, dir)
		os.Remove(filepath.Join(dir, missing))
		_, err := Read(dir)
		if err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("missing %s: got %v", missing, err)
		}
	}
	if _, err := Read(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("reading a missing directory succeeded")
	}
}

func TestExistingRefusedAndForce(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "f")
	// A directory an earlier run wrote with provenance; the new filters
	// have none, so force must leave no qfilters.json behind.
	if err := Write(dir, sample()); err != nil {
		t.Fatal(err)
	}
	noProv := sample()
	noProv.Provenance = nil
	err := Write(dir, noProv)
	if !errors.Is(err, ErrExist) {
		t.Fatalf("want ErrExist, got %v", err)
	}
	if err := WriteWith(dir, noProv, WriteOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ProvenanceFile)); err == nil {
		t.Error("force kept a file of the old directory")
	}
	if _, err := Read(dir); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, base, "f")

	// Force never replaces a regular file.
	file := filepath.Join(base, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	if err := WriteWith(file, sample(), WriteOptions{Force: true}); err == nil {
		t.Error("force replaced a regular file")
	}
	assertOnly(t, base, "f", "file")
}

// assertOnly checks that base holds exactly the given names (no temp dirs).
func assertOnly(t *testing.T, base string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(base)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) == 0 {
		got = nil
	}
	if len(names) == 0 {
		names = nil
	}
	if !reflect.DeepEqual(got, names) {
		t.Errorf("%s holds %v, want %v", base, got, names)
	}
}

func TestInvalidLeavesNothing(t *testing.T) {
	cases := map[string]func(f *Filters){
		"nan":        func(f *Filters) { f.QFilters[3] = float32(math.NaN()) },
		"inf":        func(f *Filters) { f.SingularValues[0] = float32(math.Inf(1)) },
		"short":      func(f *Filters) { f.QFilters = f.QFilters[1:] },
		"qhead len":  func(f *Filters) { f.PerQueryHead = f.PerQueryHead[:5] },
		"sign range": func(f *Filters) { f.SignAgreement[0] = 1.5 },
		"gqa":        func(f *Filters) { f.Heads = 3 },
		"zero dim":   func(f *Filters) { f.HeadDim = 0 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			base := t.TempDir()
			f := sample()
			mutate(f)
			if err := Write(filepath.Join(base, "out"), f); err == nil {
				t.Fatal("invalid Filters written")
			}
			assertOnly(t, base)
		})
	}
	// Force with invalid data keeps the old directory intact.
	base := t.TempDir()
	dir := filepath.Join(base, "out")
	if err := Write(dir, sample()); err != nil {
		t.Fatal(err)
	}
	bad := sample()
	bad.QFilters[0] = float32(math.NaN())
	if err := WriteWith(dir, bad, WriteOptions{Force: true}); err == nil {
		t.Fatal("NaN written")
	}
	if g, err := Read(dir); err != nil || !reflect.DeepEqual(g, sample()) {
		t.Fatalf("old directory damaged: %v", err)
	}
	assertOnly(t, base, "out")
}

func TestWriteFailureCleansTemp(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	base := t.TempDir()
	if err := os.Chmod(base, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(base, 0o755)
	if err := Write(filepath.Join(base, "out"), sample()); err == nil {
		t.Fatal("write into a read-only parent succeeded")
	}
	os.Chmod(base, 0o755)
	assertOnly(t, base)
}

func TestReferenceOnlyReadOmitsExtras(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	f := sample()
	f.PerQueryHead, f.SingularValues = nil, nil // keep only sign agreement
	if err := Write(dir, f); err != nil {
		t.Fatal(err)
	}
	g, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if g.Heads != 4 || g.PerQueryHead != nil || g.SingularValues != nil || len(g.SignAgreement) != 8 {
		t.Fatalf("partial extras read back as %+v", g)
	}
}

func TestReadRejectsNaN(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, fixtureDir, dir)
	v := make([]float32, 3*2*16)
	v[5] = float32(math.NaN())
	q := safetensors.Tensor{Name: QFiltersTensor, DType: safetensors.F32, Shape: []int{3, 2, 16}, Data: safetensors.EncodeFloat32(v)}
	os.Remove(filepath.Join(dir, ModelFile))
	if err := safetensors.Write(filepath.Join(dir, ModelFile), []safetensors.Tensor{q}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "non-finite") {
		t.Fatalf("want a non-finite error, got %v", err)
	}
}

// TestPyStringMatchesPythonJSON: names in an Expected Attention config.json
// are escaped as Python's json.dumps escapes them (the want strings are its
// output), backspace and form feed included.
func TestPyStringMatchesPythonJSON(t *testing.T) {
	for in, want := range map[string]string{
		"x\b\f\x01\x7f\u00e9\U0001F600\n": `"x\b\f\u0001\u007f\u00e9\ud83d\ude00\n"`,
		"a/b \"c\" \\ \t\r":               `"a/b \"c\" \\ \t\r"`,
	} {
		if got := pyString(in); got != want {
			t.Errorf("pyString(%q) = %s, Python's json.dumps gives %s", in, got, want)
		}
	}
}
