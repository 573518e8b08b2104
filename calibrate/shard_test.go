package calibrate

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/assets"
	"github.com/qfilters/qfilters/model"
)

// tinyModel opens the embedded stories260K model.
func tinyModel(t testing.TB) *model.Model {
	t.Helper()
	dir, _, err := assets.Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// randomSeqs returns n sequences of length seq of token ids in [3, vocab).
func randomSeqs(n, seq, vocab int) [][]int {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([][]int, n)
	for i := range out {
		out[i] = make([]int, seq)
		for j := range out[i] {
			out[i][j] = 3 + r.IntN(vocab-3)
		}
	}
	return out
}

// shardedRun collects n shards, round-trips them through stats files and
// merges them in shuffled order.
func shardedRun(t *testing.T, m *model.Model, seqs [][]int, opt Options, n int, rule SignRule) *Result {
	t.Helper()
	dir := t.TempDir()
	var parts []*Stats
	var names []string
	for _, i := range rand.New(rand.NewPCG(uint64(n), 9)).Perm(n) {
		o := opt
		o.Shard, o.Shards = i, n
		st, err := Collect(m, seqs, o)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "shard"+string(rune('a'+i))+".safetensors")
		if err := WriteStats(path, st); err != nil {
			t.Fatal(err)
		}
		back, err := ReadStats(path)
		if err != nil {
			t.Fatal(err)
		}
		parts, names = append(parts, back), append(names, path)
	}
	merged, err := Merge(parts, names)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Solve(merged, rule)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestShardsMergeExactly: sampled calibration run whole and as 1, 2, 3 and 7
// shards merged in shuffled order gives bit-identical filters, for both sign
// rules.
func TestShardsMergeExactly(t *testing.T) {
	m := tinyModel(t)
	seqs := randomSeqs(7, 48, m.Config.Vocab)
	for _, rule := range []SignRule{SignVote, SignMean} {
		opt := Options{Samples: 150, Seed: 5, Sign: rule}
		whole, err := Run(m, seqs, opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 2, 3, 7} {
			got := shardedRun(t, m, seqs, opt, n, rule)
			for i := range whole.QFilters {
				if got.QFilters[i] != whole.QFilters[i] {
					t.Fatalf("%s, %d shards: q_filters[%d] = %v, whole run %v", rule, n, i, got.QFilters[i], whole.QFilters[i])
				}
			}
			for i := range whole.SignAgreement {
				if got.SignAgreement[i] != whole.SignAgreement[i] {
					t.Fatalf("%s, %d shards: sign agreement differs", rule, n)
				}
			}
		}
	}
}

// TestShardsMergeAllPositions: with every position the shards ship Gram
// matrices; merged filters agree with the whole run to rounding.
func TestShardsMergeAllPositions(t *testing.T) {
	m := tinyModel(t)
	seqs := randomSeqs(7, 40, m.Config.Vocab)
	opt := Options{Samples: 0, Sign: SignMean}
	whole, err := Run(m, seqs, opt)
	if err != nil {
		t.Fatal(err)
	}
	d := whole.HeadDim
	for _, n := range []int{1, 2, 3, 7} {
		got := shardedRun(t, m, seqs, opt, n, SignMean)
		for i := 0; i < len(whole.PerQueryHead)/d; i++ {
			if c := cosine(got.PerQueryHead[i*d:(i+1)*d], whole.PerQueryHead[i*d:(i+1)*d]); c < 0.999999 {
				t.Fatalf("%d shards: query head %d cosine %.9f", n, i, c)
			}
		}
		if got.SignAgreement != nil {
			t.Error("sign agreement reported without the rows it needs")
		}
	}
	// The vote cannot be computed from Gram matrices.
	st, err := Collect(m, seqs, Options{Samples: 0, Sign: SignMean, Shard: 0, Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Solve(st, SignVote); err == nil || !strings.Contains(err.Error(), "--sign mean") {
		t.Errorf("vote on Gram stats: %v", err)
	}
}

// TestShardsVoteEveryPosition: the default vote over every position, or
// over a --samples count at least the number of positions, runs sharded as
// it runs whole: the shards keep their rows (they fit), and merge gives the
// whole run's filters bit for bit.
func TestShardsVoteEveryPosition(t *testing.T) {
	m := tinyModel(t)
	seqs := randomSeqs(5, 40, m.Config.Vocab)
	for _, samples := range []int{0, 200, 5000} { // 200 = every one of the 5·40 positions
		opt := Options{Samples: samples, Sign: SignVote}
		whole, err := Run(m, seqs, opt)
		if err != nil {
			t.Fatal(err)
		}
		got := shardedRun(t, m, seqs, opt, 3, SignVote)
		if !slices.Equal(got.QFilters, whole.QFilters) || !slices.Equal(got.SignAgreement, whole.SignAgreement) {
			t.Errorf("--samples %d: sharded vote differs from the whole run", samples)
		}
	}
}

// TestUseGram: the vote over every position ships rows when they fit and is
// refused up front when they do not, without suggesting a count the user
// gave (they gave none: "all").
func TestUseGram(t *testing.T) {
	for _, tc := range []struct {
		samples, total, layers, width int
		rule                          SignRule
		gram                          bool
		err                           string
	}{
		{3000, 2000, 32, 4096, SignVote, false, ""},
		{3000, 2000, 32, 4096, SignMean, false, ""},
		{0, 2000, 32, 4096, SignMean, true, ""},
		{0, 2000, 32, 4096, SignVote, false, ""},
		{0, 20 * 2048, 80, 8192, SignVote, false, "use --sign mean"},
	} {
		gram, err := useGram(tc.samples, tc.total, tc.layers, tc.width, tc.rule)
		if gram != tc.gram || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%+v: gram %v, err %v", tc, gram, err)
		}
	}
}

// TestMergeRejectsMismatches: stats that do not belong together are refused.
func TestMergeRejectsMismatches(t *testing.T) {
	m := tinyModel(t)
	seqs := randomSeqs(4, 32, m.Config.Vocab)
	collect := func(shard, shards int, seed int64, seqs [][]int, id string) *Stats {
		st, err := Collect(m, seqs, Options{Samples: 50, Seed: seed, Shard: shard, Shards: shards, Identity: map[string]string{"corpus_sha256": id}})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	a0, a1 := collect(0, 2, 1, seqs, "x"), collect(1, 2, 1, seqs, "x")
	cases := []struct {
		name  string
		parts []*Stats
		want  string
	}{
		{"seed", []*Stats{a0, collect(1, 2, 2, seqs, "x")}, "--seed 1 vs 2"},
		{"sequences", []*Stats{a0, collect(1, 2, 1, randomSeqs(4, 33, m.Config.Vocab), "x")}, "different calibration sequences"},
		{"identity", []*Stats{a0, collect(1, 2, 1, seqs, "y")}, "different corpus (sha256 x vs y)"},
		{"missing", []*Stats{a1}, "missing shards: 0/2"},
		{"duplicate", []*Stats{a0, a0, a1}, "given twice"},
		{"shard count", []*Stats{a0, collect(1, 3, 1, seqs, "x")}, "split into 2 vs 3 shards"},
	}
	for _, tc := range cases {
		names := make([]string, len(tc.parts))
		for i := range names {
			names[i] = "f" + string(rune('0'+i))
		}
		if _, err := Merge(tc.parts, names); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := Solve(a0, SignVote); err == nil {
		t.Error("solving one shard of two should fail")
	}
}

// TestMergedStatsAreOneShard: merged statistics describe a run of one shard
// over every position, as Collect of shard 0/1 does: their position range
// is [0, total), so they pass the checks of a stats file and solve alike.
func TestMergedStatsAreOneShard(t *testing.T) {
	m := tinyModel(t)
	seqs := randomSeqs(4, 32, m.Config.Vocab)
	for _, opt := range []Options{{Samples: 50, Seed: 3, Sign: SignVote}, {Samples: 0, Sign: SignMean}} {
		var parts []*Stats
		for i := range 2 {
			o := opt
			o.Shard, o.Shards = i, 2
			st, err := Collect(m, seqs, o)
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, st)
		}
		merged, err := Merge(parts, []string{"a", "b"})
		if err != nil {
			t.Fatal(err)
		}
		o := opt
		o.Shard, o.Shards = 0, 1
		whole, err := Collect(m, seqs, o)
		if err != nil {
			t.Fatal(err)
		}
		if merged.Meta.First != whole.Meta.First || merged.Meta.End != whole.Meta.End {
			t.Errorf("samples %d: merged positions [%d, %d), a run of one shard has [%d, %d)", opt.Samples,
				merged.Meta.First, merged.Meta.End, whole.Meta.First, whole.Meta.End)
		}
		path := filepath.Join(t.TempDir(), "merged.safetensors")
		if err := WriteStats(path, merged); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadStats(path); err != nil {
			t.Errorf("samples %d: merged stats written and read back: %v", opt.Samples, err)
		}
	}
}
