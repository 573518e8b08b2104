package model

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// longropeModel copies the phi3_longrope fixture with its original context
// shortened to orig tokens, so that short sequences take the long-factor
// branch. It returns the model and the fixture's rope parameters.
func longropeModel(t *testing.T, orig int) (m *Model, theta float64, short, long []float64, maxPos int) {
	t.Helper()
	src := fixture.Arch("phi3_longrope")
	raw, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["original_max_position_embeddings"] = orig
	out, _ := json.Marshal(cfg)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	weights, err := os.ReadFile(filepath.Join(src, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.safetensors"), weights, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	rs := cfg["rope_scaling"].(map[string]any)
	floats := func(v any) []float64 {
		var f []float64
		for _, x := range v.([]any) {
			f = append(f, x.(float64))
		}
		return f
	}
	return m, cfg["rope_theta"].(float64), floats(rs["short_factor"]), floats(rs["long_factor"]), int(cfg["max_position_embeddings"].(float64))
}

// longropeRotate is transformers' longrope written out on its own: for a
// sequence of n tokens, inv_freq[i] = 1 / (ext[i] · theta^(2i/dim)) in
// float32, ext being long_factor when n exceeds the original context and
// short_factor otherwise; cos and sin of position·inv_freq are scaled by
// sqrt(1 + ln(max/orig) / ln(orig)); dimension i pairs with i + dim/2. It
// rotates q [n][heads][dim] in place.
func longropeRotate(q []float32, n, heads, dim int, theta float64, short, long []float64, orig, maxPos int) {
	ext := short
	if n > orig {
		ext = long
	}
	scale := math.Sqrt(1 + math.Log(float64(maxPos)/float64(orig))/math.Log(float64(orig)))
	half := dim / 2
	for p := range n {
		for i := range half {
			pw := float32(math.Pow(theta, float64(float32(2*i)/float32(dim))))
			inv := 1 / (float32(ext[i]) * pw)
			angle := float64(float32(p) * inv)
			c := float32(float64(float32(math.Cos(angle))) * scale)
			s := float32(float64(float32(math.Sin(angle))) * scale)
			for h := range heads {
				v := q[(p*heads+h)*dim:]
				a, b := v[i], v[i+half]
				v[i] = a*c - b*s
				v[i+half] = b*c + a*s
			}
		}
	}
}

// TestLongropeLongFactors: a Phi-3 style longrope model whose sequences are
// longer than original_max_position_embeddings rotates its queries with the
// long factors (and one token shorter, with the short ones), as the formula
// written out in longropeRotate does. The arch golden cannot show it: its 24
// tokens are far below the fixture's original 4096.
func TestLongropeLongFactors(t *testing.T) {
	const orig = 8
	m, theta, short, long, maxPos := longropeModel(t, orig)
	if slices.Equal(short, long) {
		t.Fatal("the fixture's short and long factors are equal: the test could not tell them apart")
	}
	c := m.Config
	emb, err := m.Embedding()
	if err != nil {
		t.Fatal(err)
	}
	layer, err := m.Layer(0, false)
	if err != nil {
		t.Fatal(err)
	}
	var preRoPE []float32
	layer.PreRoPE = func(_ int, q []float32) { preRoPE = slices.Clone(q) }
	for _, n := range []int{orig - 1, orig, orig + 1, 2*orig + 3} {
		ids := make([]int, n)
		for i := range ids {
			ids[i] = 3 + (i*37)%(c.Vocab-3)
		}
		h, err := emb.Embed(ids)
		if err != nil {
			t.Fatal(err)
		}
		got := layer.Queries(h, []int{n})
		want := slices.Clone(preRoPE)
		longropeRotate(want, n, c.Heads, c.HeadDim, theta, short, long, orig, maxPos)
		worst := 0.0
		for i := range want {
			d := math.Abs(float64(got[i]-want[i])) / (1 + math.Abs(float64(want[i])))
			worst = max(worst, d)
		}
		if worst > 1e-5 {
			t.Errorf("%d tokens (original context %d): queries differ from the longrope formula by %.3g (relative)", n, orig, worst)
		}
	}
}

// TestPhi3SuIsLongrope: Phi3Config reads the older rope_scaling types "su"
// and "yarn" as longrope (its backward-compatibility rename), so a Phi-3
// config written before the rename loads with the same RoPE; in any other
// family those names are not longrope.
func TestPhi3SuIsLongrope(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(fixture.Arch("phi3_longrope"), "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"su", "yarn"} {
		cfg["model_type"] = "phi3"
		cfg["rope_scaling"].(map[string]any)["type"] = typ
		data, _ := json.Marshal(cfg)
		got, err := ParseConfig(data)
		if err != nil {
			t.Fatalf("phi3 with rope_scaling type %q: %v", typ, err)
		}
		for l := range got.Rope {
			g, w := got.Rope[l], want.Rope[l]
			if g.Type != "longrope" || g.Factor != w.Factor || g.AttentionFactor != w.AttentionFactor ||
				!slices.Equal(g.ShortFactor, w.ShortFactor) || !slices.Equal(g.LongFactor, w.LongFactor) {
				t.Errorf("phi3 with rope_scaling type %q, layer %d: %+v, want %+v", typ, l, g, w)
			}
		}
		cfg["model_type"] = "llama"
		data, _ = json.Marshal(cfg)
		// Elsewhere "su" is unknown and "yarn" is YaRN.
		if got, err := ParseConfig(data); typ == "su" && err == nil {
			t.Errorf("llama with rope_scaling type %q parsed", typ)
		} else if typ == "yarn" && (err != nil || got.Rope[0].Type != "yarn") {
			t.Errorf("llama with rope_scaling type yarn: %v, %+v", err, got)
		}
	}
}
