package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/export"
)

// TestDiffWithinNoise: knownFilters' kv heads have stability 0.98 (L0) and
// 0.25 (L1). B moves L0's kv filter to cosine 0.9206 (1 - cos 0.079 > the
// noise bound 2·0.02 = 0.04: drift) and L1's to cosine 0.6 (0.4 <= 2·0.75:
// within noise). Both are below --min-cos and listed as such; the noise
// verdict tells them apart, in the grid (! and ~), the text and the JSON.
func TestDiffWithinNoise(t *testing.T) {
	a := writeDir(t, knownFilters())
	fb := knownFilters()
	fb.QFilters = []float32{0.5, 0.5, 0.3, 0, 0, 0, 0.6, 0.8}
	b := filepath.Join(t.TempDir(), "b")
	if err := export.Write(b, fb); err != nil {
		t.Fatal(err)
	}
	out, _, err := execute(t, "diff", a, b, "--min-cos", "0.99")
	if exitCode(err) != 1 {
		t.Fatalf("exit %d (%v), want 1: heads below --min-cos", exitCode(err), err)
	}
	marks := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 && (f[0] == "L0" || f[0] == "L1") {
			marks[f[0]] = f[1][len(f[1])-1:]
		}
	}
	if marks["L0"] != "!" || marks["L1"] != "~" {
		t.Errorf("grid marks %v, want L0 ! (drift) and L1 ~ (within noise):\n%s", marks, out)
	}
	for _, want := range []string{
		"kv heads: 1 within noise, 1 beyond it (drift): L0 H0 0.92",
		"query heads: 4 within noise, 0 beyond it (drift)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = execute(t, "diff", a, b, "--json")
	var rep struct {
		KVNoise []float64 `json:"kv_noise"`
		Noise   *diffNoise
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	n := rep.Noise
	if n == nil || len(n.DriftKV) != 1 || n.DriftKV[0].Layer != 0 || len(n.WithinNoiseKV) != 1 || n.WithinNoiseKV[0].Layer != 1 ||
		len(rep.KVNoise) != 2 || !near(rep.KVNoise[0], 0.04) || !near(rep.KVNoise[1], 1.5) {
		t.Fatalf("noise verdict: %s", out)
	}
	// Without stability on one side there is no verdict.
	out, _, _ = execute(t, "diff", a, kvpressFixtureLike(t), "--json")
	if strings.Contains(out, `"noise"`) {
		t.Errorf("noise verdict without stability:\n%s", out)
	}
}

// kvpressFixtureLike writes knownFilters without stability.
func kvpressFixtureLike(t *testing.T) string {
	f := knownFilters()
	f.Stability, f.StabilityKV = nil, nil
	return writeDir(t, f)
}
