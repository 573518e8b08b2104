package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"

	"github.com/qfilters/qfilters/export"
)

var kvpressFixture = fixture.Path("kvpress_qfilt")

// execute runs the CLI with args and returns stdout, stderr and the error.
func execute(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.Execute()
	return out.String(), errb.String(), err
}

// knownFilters: 2 layers, 1 kv head, 2 query heads, head dim 4.
// Layer 0: query filters e0 and e1 (q_filter (e0+e1)/2, norm 1/sqrt 2),
// singular values [2 1 0 0] (share 4/5 = 0.8) and [3 1 1 1] (9/12 = 0.75),
// sign agreement 0.9 and 0.6. Layer 1: both query filters e2 (norm 1),
// singular values [1 0 0 0] (share 1) and all zero (share defined as 0),
// sign agreement 1 and 0.5.
func knownFilters() *export.Filters {
	return &export.Filters{
		Layers: 2, KVHeads: 1, Heads: 2, HeadDim: 4,
		QFilters:       []float32{0.5, 0.5, 0, 0, 0, 0, 1, 0},
		PerQueryHead:   []float32{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0},
		SingularValues: []float32{2, 1, 0, 0, 3, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
		SignAgreement:  []float32{0.9, 0.6, 1, 0.5},
		Stability:      []float32{0.999, 0.95, 1, -0.5},
		StabilityKV:    []float32{0.98, 0.25},
		Provenance:     &export.Provenance{Tool: "qfilters", Model: "test/known", Corpus: "c.jsonl", Samples: "all", Sign: "vote", Precision: "f32"},
	}
}

func writeDir(t *testing.T, f *export.Filters) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "f")
	if err := export.Write(dir, f); err != nil {
		t.Fatal(err)
	}
	return dir
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func val(t *testing.T, v *float64, what string) float64 {
	t.Helper()
	if v == nil {
		t.Fatalf("%s unavailable", what)
	}
	return *v
}

func TestInspectJSONKnownValues(t *testing.T) {
	dir := writeDir(t, knownFilters())
	out, _, err := execute(t, "inspect", dir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("--json output contains ANSI escapes")
	}
	var rep struct {
		Layers, Heads int
		KV            []export.HeadFigures
		Query         []export.HeadFigures
		Unavailable   []string
		Summary       []export.Summary
		Provenance    *export.Provenance
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Layers != 2 || rep.Heads != 2 || len(rep.KV) != 2 || len(rep.Query) != 4 || len(rep.Unavailable) != 0 {
		t.Fatalf("unexpected report: %s", out)
	}
	wantQ := []struct{ energy, sign, norm float64 }{{0.8, 0.9, 1}, {0.75, 0.6, 1}, {1, 1, 1}, {0, 0.5, 1}}
	for i, w := range wantQ {
		q := rep.Query[i]
		if e := val(t, q.EnergyShare, "energy"); !near(e, w.energy) {
			t.Errorf("query %d energy share %v, want %v", i, e, w.energy)
		}
		if s := val(t, q.SignAgreement, "sign"); !near(s, w.sign) {
			t.Errorf("query %d sign agreement %v, want %v", i, s, w.sign)
		}
		if n := val(t, q.Norm, "norm"); !near(n, w.norm) {
			t.Errorf("query %d norm %v, want %v", i, n, w.norm)
		}
	}
	wantKV := []struct{ energy, sign, norm float64 }{{0.775, 0.75, math.Sqrt(0.5)}, {0.5, 0.75, 1}}
	for i, w := range wantKV {
		k := rep.KV[i]
		if e := val(t, k.EnergyShare, "energy"); !near(e, w.energy) {
			t.Errorf("kv %d energy share %v, want %v", i, e, w.energy)
		}
		if s := val(t, k.SignAgreement, "sign"); !near(s, w.sign) {
			t.Errorf("kv %d sign agreement %v, want %v", i, s, w.sign)
		}
		if n := val(t, k.Norm, "norm"); !near(n, w.norm) {
			t.Errorf("kv %d norm %v, want %v", i, n, w.norm)
		}
	}
	sums := map[string]export.Summary{}
	for _, s := range rep.Summary {
		sums[s.Metric] = s
	}
	e := sums["energy_share"]
	if e.Count != 4 || !near(e.Mean, (0.8+0.75+1+0)/4) || !near(e.Min.Value, 0) || e.Min.Layer != 1 || e.Min.Head != 1 {
		t.Errorf("energy summary %+v", e)
	}
	if len(e.Weakest) != 4 || !near(e.Weakest[1].Value, 0.75) || !near(e.Weakest[3].Value, 1) {
		t.Errorf("energy weakest %+v", e.Weakest)
	}
	if n := sums["norm"]; n.Level != "kv" || !near(n.Min.Value, math.Sqrt(0.5)) || n.Min.Layer != 0 {
		t.Errorf("norm summary %+v", n)
	}
	if rep.Provenance == nil || rep.Provenance.Model != "test/known" {
		t.Errorf("provenance %+v", rep.Provenance)
	}
	for i, want := range []float64{0.999, 0.95, 1, -0.5} {
		if v := val(t, rep.Query[i].Stability, "stability"); !near(v, want) {
			t.Errorf("query %d stability %v, want %v", i, v, want)
		}
	}
	for i, want := range []float64{0.98, 0.25} {
		if v := val(t, rep.KV[i].Stability, "stability"); !near(v, want) {
			t.Errorf("kv %d stability %v, want %v", i, v, want)
		}
	}
	var levels []string
	for _, s := range rep.Summary {
		if s.Metric == "stability" {
			levels = append(levels, s.Level)
			if s.Level == "query" && (s.Min.Layer != 1 || s.Min.Head != 1 || !near(s.Min.Value, -0.5)) {
				t.Errorf("query stability summary %+v", s)
			}
		}
	}
	if strings.Join(levels, ",") != "query,kv" {
		t.Errorf("stability summarized at levels %v, want query and kv", levels)
	}
}

func TestInspectTextKnownValues(t *testing.T) {
	dir := writeDir(t, knownFilters())
	out, _, err := execute(t, "inspect", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"2 layers, 1 kv heads, head dim 4, 2 query heads (2 per kv head)",
		"energy share per query head", "sign agreement per query head", "filter norm per kv head",
		"energy_share   (4 query heads): mean 0.6375, min 0.0000 at L1 H1",
		"weakest: L1 H1 0.0000, L0 H1 0.7500, L0 H0 0.8000, L1 H0 1.0000",
		"split-half stability per query head (scale -1..1)", "split-half stability per kv head",
		"stability      (2 kv heads): mean 0.6150, min 0.2500 at L1 H0",
		"test/known",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour written to a non-terminal")
	}
	if strings.Contains(out, "unavailable:") {
		t.Error("complete directory reported unavailable metrics")
	}
}

func TestInspectReferenceFixture(t *testing.T) {
	out, _, err := execute(t, "inspect", kvpressFixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"3 layers, 2 kv heads, head dim 16", "unavailable: energy_share, sign_agreement", "reference directory", "filter norm per kv head", "norm           (6 kv heads)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = execute(t, "inspect", "--json", kvpressFixture)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		KV          []export.HeadFigures
		Query       []export.HeadFigures
		Unavailable []string
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.KV) != 6 || rep.Query != nil || len(rep.Unavailable) != 4 {
		t.Fatalf("reference report: %s", out)
	}
	f, err := export.Read(kvpressFixture)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range rep.KV {
		if k.EnergyShare != nil || k.SignAgreement != nil || k.Stability != nil {
			t.Errorf("kv %d: metrics that the fixture cannot provide", i)
		}
		if want := export.Norm(f.Filter(k.Layer, k.Head)); !near(val(t, k.Norm, "norm"), want) {
			t.Errorf("kv %d norm %v, want %v", i, *k.Norm, want)
		}
	}
}

func TestInspectPNG(t *testing.T) {
	dir := writeDir(t, knownFilters())
	pic := filepath.Join(t.TempDir(), "map.png")
	if _, _, err := execute(t, "inspect", dir, "--json", "--png", pic); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(pic)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 50 || b.Dy() < 50 {
		t.Errorf("picture too small: %v", b)
	}
	ents, _ := os.ReadDir(filepath.Dir(pic))
	if len(ents) != 1 {
		t.Errorf("temporary files left beside the picture: %v", ents)
	}
}

func TestInspectErrors(t *testing.T) {
	if _, _, err := execute(t, "inspect", filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing directory accepted")
	}
	_, _, err := execute(t, "inspect")
	var ec exitCoder
	if !asExitCoder(err, &ec) || ec.ExitCode() != 2 {
		t.Errorf("no DIR: want a usage error (exit 2), got %v", err)
	}
}

// TestFiguresSVG: inspect and diff draw SVG by extension, the same bytes
// twice, with labelled axes and titles; an unknown extension is a usage
// error before any work.
func TestFiguresSVG(t *testing.T) {
	dir := writeDir(t, knownFilters())
	changed := knownFilters()
	changed.QFilters[6], changed.QFilters[7] = 0.6, 0.8 // layer 1: cosine 0.6
	other := writeDir(t, changed)
	out := t.TempDir()
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"inspect", dir}, []string{"query energy on the filter direction", "query head", "layer", "weakest", "q_filters norm"}},
		{[]string{"diff", dir, other, "--min-cos", "0.9"}, []string{"q_filters cosine per kv head", "per-query-head filter cosine", "kv head", "threshold 0.9"}},
	} {
		var pics [][]byte
		for i := 0; i < 2; i++ {
			pic := filepath.Join(out, fmt.Sprintf("%s-%d.svg", c.args[0], i))
			execute(t, append(c.args, "--png", pic)...) // diff may exit 1: heads below the threshold
			b, err := os.ReadFile(pic)
			if err != nil {
				t.Fatalf("%v: %v", c.args, err)
			}
			pics = append(pics, b)
		}
		if !bytes.Equal(pics[0], pics[1]) {
			t.Errorf("%v: two runs drew different bytes", c.args)
		}
		for _, w := range c.want {
			if !bytes.Contains(pics[0], []byte(w)) {
				t.Errorf("%v: the picture lacks %q", c.args, w)
			}
		}
		_, _, err := execute(t, append(c.args, "--png", filepath.Join(out, "x.gif"))...)
		var ec exitCoder
		if !asExitCoder(err, &ec) || ec.ExitCode() != 2 || !strings.Contains(err.Error(), ".png or .svg") {
			t.Errorf("%v --png x.gif: %v", c.args, err)
		}
	}
}
