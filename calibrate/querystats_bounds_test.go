package calibrate

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadQueryStatsRefusesHostile: a query stats file is bounded by what a
// model's statistics can be (the directory written from it holds every
// layer's covariances, however few the file holds), and its sums must be
// finite; each refusal names the file.
func TestReadQueryStatsRefusesHostile(t *testing.T) {
	one := func(layers, heads, d int) *QueryStats {
		st := &QueryStats{Meta: QueryStatsMeta{
			Version: queryStatsVersion, Sequences: strings.Repeat("ab", 32), NumSeqs: 1,
			Layers: layers, Heads: heads, HeadDim: d, Shards: 1,
		}, Count: make([]int64, layers), Sum: make([][]float64, layers), Gram: make([][]float64, layers)}
		for l := 1; l < layers; l++ {
			st.Meta.NoCache = append(st.Meta.NoCache, l)
		}
		st.Count[0], st.Sum[0], st.Gram[0] = 2, make([]float64, heads*d), make([]float64, heads*d*d)
		return st
	}
	read := func(st *QueryStats) (string, error) {
		path := filepath.Join(t.TempDir(), "q.safetensors")
		if err := WriteQueryStats(path, st); err != nil {
			t.Fatal(err)
		}
		_, err := ReadQueryStats(path)
		return path, err
	}
	if _, err := read(one(4, 2, 8)); err != nil {
		t.Fatalf("a valid file: %v", err)
	}
	nan := one(4, 2, 8)
	nan.Gram[0][5] = math.NaN()
	inf := one(4, 2, 8)
	inf.Sum[0][1] = math.Inf(-1)
	for name, c := range map[string]struct {
		st   *QueryStats
		want string
	}{
		"covariances of 1024 layers, 16 MB on disk": {one(1<<10, 1<<9, 64), "covariance values"},
		"NaN in a Gram matrix":                      {nan, "layer 0: NaN in its sums (value 5)"},
		"-Inf in the query sums":                    {inf, "layer 0: -Inf in its sums (value 1)"},
	} {
		path, err := read(c.st)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), path) {
			t.Errorf("%s: got %v, want %q naming the file", name, err, c.want)
		}
	}
}
