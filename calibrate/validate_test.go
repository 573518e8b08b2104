package calibrate

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/safetensors"
)

// synthStats builds shard i of n of a small valid calibration without a
// model: 4 sequences of 10 positions, 2 layers, 2 query heads of 4 dims.
// samples 0 with gram builds Gram statistics.
func synthStats(i, n, samples int, gram bool) *Stats {
	const seqs, seqLen, heads, d = 4, 10, 2, 4
	total := seqs * seqLen
	m := StatsMeta{
		Version: statsVersion, Identity: map[string]string{"config_sha256": "c"}, Samples: samples, Seed: 3,
		Sequences: strings.Repeat("ab", 32), NumSeqs: seqs, TotalPositions: total,
		First: i * seqs / n * seqLen, End: (i + 1) * seqs / n * seqLen, Gram: gram,
		Layers: 2, Heads: heads, KVHeads: 1, HeadDim: d, Shard: i, Shards: n,
	}
	r := rand.New(rand.NewPCG(uint64(i), 1))
	st := &Stats{Meta: m, Layers: make([]LayerStats, m.Layers)}
	for l := range st.Layers {
		ls := &st.Layers[l]
		var pos []int
		for _, p := range samplePositions(m.Seed, l, total, samples) {
			if p >= m.First && p < m.End {
				pos = append(pos, p)
			}
		}
		rows := make([]float32, len(pos)*heads*d)
		for j := range rows {
			rows[j] = float32(r.NormFloat64())
		}
		if gram {
			(*statsSink)(st).layer(l, pos, rows)
			continue
		}
		for _, p := range pos {
			ls.Positions = append(ls.Positions, int64(p))
		}
		ls.Rows = rows
	}
	return st
}

// roundTrip writes st and reads it back.
func roundTrip(t testing.TB, st *Stats) (*Stats, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.safetensors")
	if err := WriteStats(p, st); err != nil {
		t.Fatal(err)
	}
	return ReadStats(p)
}

// TestReadStatsValidates: every field of a stats file is checked; a bad one
// is one line naming what is wrong.
func TestReadStatsValidates(t *testing.T) {
	if _, err := roundTrip(t, synthStats(1, 2, 12, false)); err != nil {
		t.Fatalf("valid sampled stats: %v", err)
	}
	if _, err := roundTrip(t, synthStats(1, 2, 0, true)); err != nil {
		t.Fatalf("valid Gram stats: %v", err)
	}
	if _, err := roundTrip(t, synthStats(0, 2, 0, false)); err != nil {
		t.Fatalf("valid every-position rows: %v", err)
	}
	cases := []struct {
		name  string
		gram  bool
		edit  func(st *Stats)
		want  string
		input int // samples
	}{
		{"positions not increasing", false, func(st *Stats) {
			p := st.Layers[0].Positions
			p[0], p[1] = p[1], p[0]
		}, "positions must be increasing", 12},
		{"position repeated", false, func(st *Stats) {
			p := st.Layers[1].Positions
			p[1] = p[0]
		}, "positions must be increasing, unique", 12},
		{"position out of range", false, func(st *Stats) {
			p := st.Layers[0].Positions
			p[len(p)-1] = 1 << 50
		}, "is 1125899906842624", 12},
		{"positions of another shard", false, func(st *Stats) {
			other := synthStats(0, 2, 12, false)
			st.Layers[0] = other.Layers[0]
		}, "but the shard's share of the sample", 12},
		{"one position dropped", false, func(st *Stats) {
			ls := &st.Layers[1]
			ls.Positions = ls.Positions[1:]
			ls.Rows = ls.Rows[8:]
		}, "positions, but the shard's share", 12},
		{"empty positions", false, func(st *Stats) {
			st.Layers[0].Positions, st.Layers[0].Rows = []int64{}, []float32{}
		}, "0 positions", 12},
		{"NaN in a row", false, func(st *Stats) {
			st.Layers[1].Rows[5] = float32(math.NaN())
		}, "query row 0 value 5 is NaN", 12},
		{"Inf in a Gram matrix", true, func(st *Stats) {
			st.Layers[0].Gram[3] = math.Inf(1)
		}, "Gram matrix value 3 is +Inf", 0},
		{"wrong count", true, func(st *Stats) {
			st.Layers[1].Count++
		}, "count 21, but the shard has 20 positions", 0},
		{"range outside the positions", false, func(st *Stats) {
			st.Meta.End = 41
		}, "not a range inside [0, 40)", 12},
		{"shard beyond shards", false, func(st *Stats) {
			st.Meta.Shard = 2
		}, "shard 2/2", 12},
		{"negative samples", false, func(st *Stats) {
			st.Meta.Samples = -1
		}, "samples -1 is negative", 12},
		{"huge samples", false, func(st *Stats) {
			st.Meta.Samples, st.Meta.TotalPositions, st.Meta.End = 1<<30, 1<<30+1, 1<<30
		}, "above the 4194304", 12},
		{"Gram of a sample", true, func(st *Stats) {
			st.Meta.Samples = 5
		}, "only kept for every position", 0},
		{"bad sequences hash", false, func(st *Stats) {
			st.Meta.Sequences = "x"
		}, "not a hex SHA-256", 12},
		{"other version", false, func(st *Stats) {
			st.Meta.Version = 1
		}, "stats format version 1", 12},
	}
	for _, tc := range cases {
		st := synthStats(1, 2, tc.input, tc.gram)
		tc.edit(st)
		_, err := roundTrip(t, st)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestMergeChecksRanges: shards whose position ranges do not tile the
// positions are refused.
func TestMergeChecksRanges(t *testing.T) {
	a, b := synthStats(0, 2, 12, false), synthStats(1, 2, 12, false)
	if _, err := Merge([]*Stats{b, a}, []string{"b", "a"}); err != nil {
		t.Fatal(err)
	}
	b.Meta.First += 10
	if _, err := Merge([]*Stats{a, b}, []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "b: shard 1/2 starts at position 30, but the shards before it end at 20") {
		t.Errorf("gap between shards: %v", err)
	}
}

// TestCheckpointEmptySamplesUsed: a checkpoint whose samples_used tensor is
// empty is an error, not a panic.
func TestCheckpointEmptySamplesUsed(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state.safetensors")
	s := &solveSink{res: newResult(1, 1, 1, 2)}
	ts := s.tensors(0, 1)
	for i := range ts {
		if ts[i].Name == "samples_used.0" {
			ts[i] = i64Tensor("samples_used.0", []int64{})
		}
	}
	if err := safetensors.Write(p, ts, nil); err != nil {
		t.Fatal(err)
	}
	ck, err := safetensors.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	if err := s.restore(ck, 1); err == nil || !strings.Contains(err.Error(), "samples_used") {
		t.Errorf("got %v", err)
	}
}

// FuzzReadStats: no stats file, however damaged, panics the reader, merge
// or solve; one that is accepted solves.
func FuzzReadStats(f *testing.F) {
	for _, st := range []*Stats{synthStats(0, 1, 12, false), synthStats(0, 1, 0, true), synthStats(1, 2, 0, false)} {
		p := filepath.Join(f.TempDir(), "s.safetensors")
		if err := WriteStats(p, st); err != nil {
			f.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	maxSampleWork = 1 << 16 // a real bound, small enough for many runs a second
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "s.safetensors")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := ReadStats(p)
		if err != nil {
			if bytes.Contains([]byte(err.Error()), []byte("\n")) {
				t.Errorf("multi-line error %q", err)
			}
			return
		}
		merged, err := Merge([]*Stats{st}, []string{p})
		if err != nil {
			return
		}
		for _, rule := range []SignRule{SignVote, SignMean} {
			Solve(merged, rule)
		}
	})
}
