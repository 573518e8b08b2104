package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/export"
)

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ec exitCoder
	if asExitCoder(err, &ec) {
		return ec.ExitCode()
	}
	return 1
}

func TestDiffSelf(t *testing.T) {
	for _, dir := range []string{writeDir(t, knownFilters()), kvpressFixture} {
		out, _, err := execute(t, "diff", dir, dir, "--json")
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		var rep struct {
			KV, Query []export.HeadValue
			BelowKV   []export.HeadValue `json:"below_kv"`
			OK        bool
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if !rep.OK || len(rep.BelowKV) != 0 || len(rep.KV) == 0 {
			t.Fatalf("self diff: %s", out)
		}
		for _, v := range append(rep.KV, rep.Query...) {
			if v.Value != 1 {
				t.Errorf("%s: self cosine %v at L%d H%d", dir, v.Value, v.Layer, v.Head)
			}
		}
	}
	dir := writeDir(t, knownFilters())
	out, _, err := execute(t, "diff", dir, dir, "--min-cos", "1")
	if err != nil {
		t.Fatalf("self diff with --min-cos 1: %v", err)
	}
	if !strings.Contains(out, "2 query heads") || !strings.Contains(out, "all heads >= 1") {
		t.Errorf("text output:\n%s", out)
	}
}

func TestDiffSignFlippedHead(t *testing.T) {
	a := writeDir(t, knownFilters())
	f := knownFilters()
	for i := 4; i < 8; i++ { // layer 1, kv head 0
		f.QFilters[i] = -f.QFilters[i]
	}
	for i := 12; i < 16; i++ { // layer 1, query head 1
		f.PerQueryHead[i] = -f.PerQueryHead[i]
	}
	b := writeDir(t, f)

	out, _, err := execute(t, "diff", a, b)
	if exitCode(err) != 1 {
		t.Fatalf("want exit 1, got %v", err)
	}
	for _, s := range []string{err.Error(), out} {
		if !strings.Contains(s, "kv L1 H0 -1.0000") || !strings.Contains(s, "query L1 H1 -1.0000") {
			t.Errorf("flipped heads not named in %q", s)
		}
	}
	if !strings.Contains(err.Error(), "1 kv heads and 1 query heads below --min-cos 0.99") {
		t.Errorf("error %q", err)
	}
	out, _, err = execute(t, "diff", a, b, "--json")
	if exitCode(err) != 1 {
		t.Fatalf("--json: want exit 1, got %v", err)
	}
	var rep struct {
		BelowKV    []export.HeadValue `json:"below_kv"`
		BelowQuery []export.HeadValue `json:"below_query"`
		OK         bool
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.OK || len(rep.BelowKV) != 1 || rep.BelowKV[0] != (export.HeadValue{Layer: 1, Head: 0, Value: -1}) ||
		len(rep.BelowQuery) != 1 || rep.BelowQuery[0] != (export.HeadValue{Layer: 1, Head: 1, Value: -1}) {
		t.Errorf("json report: %s", out)
	}
	// A threshold below -1 accepts everything.
	if _, _, err := execute(t, "diff", a, b, "--min-cos", "-1.5"); err != nil {
		t.Errorf("--min-cos -1.5: %v", err)
	}
}

func TestDiffShapeMismatch(t *testing.T) {
	a := writeDir(t, knownFilters())
	_, _, err := execute(t, "diff", a, kvpressFixture)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "shape mismatch") {
		t.Fatalf("want a shape mismatch with exit 2, got %v", err)
	}
	_, _, err = execute(t, "diff", a, filepath.Join(t.TempDir(), "none"))
	if exitCode(err) != 2 {
		t.Errorf("missing directory: want exit 2, got %v", err)
	}
	_, _, err = execute(t, "diff", a)
	if exitCode(err) != 2 {
		t.Errorf("one argument: want exit 2, got %v", err)
	}
}

func TestDiffZeroVector(t *testing.T) {
	f := knownFilters()
	for i := 0; i < 4; i++ {
		f.QFilters[i] = 0
	}
	a := writeDir(t, f)
	out, _, err := execute(t, "diff", a, a, "--json")
	if exitCode(err) != 1 {
		t.Fatalf("zero filter: want exit 1 (cosine 0), got %v", err)
	}
	var rep struct {
		BelowKV []export.HeadValue `json:"below_kv"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.BelowKV) != 1 || rep.BelowKV[0] != (export.HeadValue{Layer: 0, Head: 0, Value: 0}) {
		t.Errorf("zero filter vs itself: %+v", rep.BelowKV)
	}
}

// TestDiffMinCosNaN: --min-cos NaN is a usage error, before anything is
// read: no comparison with NaN is true, so it would pass every head.
func TestDiffMinCosNaN(t *testing.T) {
	a := writeDir(t, knownFilters())
	out, _, err := execute(t, "diff", a, a, "--min-cos", "NaN")
	if exitCode(err) != 2 || err.Error() != "--min-cos must be a number, got NaN" || out != "" {
		t.Errorf("exit %d, err %v, stdout %q", exitCode(err), err, out)
	}
}
