package calibrate

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/model"
	"github.com/qfilters/qfilters/safetensors"
)

// QueryStats are the statistics Expected Attention needs: per layer and
// query head, the number, sum and Gram matrix of the queries before RoPE
// (after the projection, bias and q-norm), every token of each sequence but
// the first NSink. Sums are float64 and merge by addition, in any order.
type QueryStats struct {
	Meta  QueryStatsMeta
	Count []int64     // [layer] queries per head
	Sum   [][]float64 // [layer][heads·headDim]
	Gram  [][]float64 // [layer][heads·headDim·headDim]
}

// QueryStatsMeta identifies a shard of query statistics: shards merge only
// when everything but Shard and Provenance agrees.
type QueryStatsMeta struct {
	Version    int               `json:"version"`
	Identity   map[string]string `json:"identity"`
	Provenance map[string]string `json:"provenance,omitempty"` // not compared
	Sequences  string            `json:"sequences"`            // hash of all sequences
	NumSeqs    int               `json:"num_seqs"`
	NSink      int               `json:"n_sink"`
	Layers     int               `json:"layers"`
	Heads      int               `json:"heads"`
	HeadDim    int               `json:"head_dim"`
	Shard      int               `json:"shard"`
	Shards     int               `json:"shards"`
	// NoCache lists the layers without a KV cache (linear attention): no
	// queries, no statistics; ExpStats gives them zeros.
	NoCache []int `json:"no_cache_layers,omitempty"`
}

const queryStatsVersion = 1

// queryStatsKey is the safetensors metadata key of a query stats file.
const queryStatsKey = "qfilters.query_stats"

func newQueryStats(c *model.Config, seqs [][]int, nSink int, opt Options) *QueryStats {
	st := &QueryStats{Meta: QueryStatsMeta{
		Version: queryStatsVersion, Identity: opt.Identity, Provenance: opt.Provenance,
		Sequences: sequencesHash(seqs), NumSeqs: len(seqs), NSink: nSink,
		Layers: c.Layers, Heads: c.Heads, HeadDim: c.MaxHeadDim(), Shard: opt.Shard, Shards: opt.Shards,
		NoCache: noCacheLayers(c),
	}}
	st.Count = make([]int64, c.Layers)
	st.Sum = make([][]float64, c.Layers)
	st.Gram = make([][]float64, c.Layers)
	return st
}

// CollectQueryStats runs shard opt.Shard of opt.Shards over seqs through the
// same layer-major pass as calibration and returns the query statistics
// (opt.Samples, Seed and Sign are not used). Sequences of at most nSink
// tokens contribute nothing.
func CollectQueryStats(m *model.Model, seqs [][]int, nSink int, opt Options) (*QueryStats, error) {
	if nSink < 0 {
		return nil, fmt.Errorf("n_sink %d < 0", nSink)
	}
	if opt.Shards == 0 {
		opt.Shard, opt.Shards = 0, 1
	}
	st := newQueryStats(m.Config, seqs, nSink, opt)
	if err := gather(m, seqs, opt, &queryStatsSink{st: st}); err != nil {
		return nil, err
	}
	return st, nil
}

// queryStatsSink fills QueryStats from the queries before RoPE; it wants no
// sampled rows.
type queryStatsSink struct {
	st     *QueryStats
	prefix string // of its tensor names in checkpoints shared with another sink
	// x is one head's rows in float64, reused.
	x []float64
}

func (s *queryStatsSink) wantsRows() bool { return false }

func (s *queryStatsSink) preRoPE(l, _ int, q []float32) {
	st := s.st
	h, d := st.Meta.Heads, st.Meta.HeadDim
	if st.Sum[l] == nil {
		st.Sum[l] = make([]float64, h*d)
		st.Gram[l] = make([]float64, h*d*d)
	}
	n := len(q)/(h*d) - st.Meta.NSink
	if n <= 0 {
		return
	}
	q = q[st.Meta.NSink*h*d:]
	st.Count[l] += int64(n)
	if cap(s.x) < n*d {
		s.x = make([]float64, n*d)
	}
	x := s.x[:n*d]
	for head := range h {
		for i := range n {
			for t := range d {
				x[i*d+t] = float64(q[(i*h+head)*d+t])
			}
		}
		sum, gram := st.Sum[l][head*d:(head+1)*d], st.Gram[l][head*d*d:(head+1)*d*d]
		// The upper triangle; layer() mirrors it once the layer is done.
		for i := range n {
			row := x[i*d : (i+1)*d]
			for a, xa := range row {
				sum[a] += xa
				g := gram[a*d : (a+1)*d]
				for b := a; b < d; b++ {
					g[b] += xa * row[b]
				}
			}
		}
	}
}

func (s *queryStatsSink) layer(l int, _ []int, _ []float32) error {
	st := s.st
	h, d := st.Meta.Heads, st.Meta.HeadDim
	if !hasCache(st.Meta.NoCache, l) {
		return nil
	}
	if st.Sum[l] == nil { // every sequence shorter than the sinks
		st.Sum[l] = make([]float64, h*d)
		st.Gram[l] = make([]float64, h*d*d)
	}
	for head := range h {
		g := st.Gram[l][head*d*d : (head+1)*d*d]
		for a := range d {
			for b := a + 1; b < d; b++ {
				g[b*d+a] = g[a*d+b]
			}
		}
	}
	return nil
}

func (s *queryStatsSink) tensors(from, to int) []safetensors.Tensor {
	st := s.st
	h, d := st.Meta.Heads, st.Meta.HeadDim
	var out []safetensors.Tensor
	for l := from; l < to; l++ {
		if st.Sum[l] == nil {
			continue
		}
		out = append(out, i64Tensor(fmt.Sprintf("%scount.%d", s.prefix, l), []int64{st.Count[l]}),
			f64Tensor(fmt.Sprintf("%ssum.%d", s.prefix, l), st.Sum[l], h, d),
			f64Tensor(fmt.Sprintf("%sgram.%d", s.prefix, l), st.Gram[l], h, d, d))
	}
	return out
}

func (s *queryStatsSink) restore(ck tensorReader, layers int) error {
	st := s.st
	h, d := st.Meta.Heads, st.Meta.HeadDim
	for l := range layers {
		if !hasCache(st.Meta.NoCache, l) {
			continue
		}
		count, err := readI64(ck, fmt.Sprintf("%scount.%d", s.prefix, l))
		if err != nil || len(count) != 1 || count[0] < 0 {
			return fmt.Errorf("layer %d: invalid count: %v", l, err)
		}
		st.Count[l] = count[0]
		if st.Sum[l], err = readF64(ck, fmt.Sprintf("%ssum.%d", s.prefix, l), h*d); err != nil {
			return err
		}
		if st.Gram[l], err = readF64(ck, fmt.Sprintf("%sgram.%d", s.prefix, l), h*d*d); err != nil {
			return err
		}
		for _, v := range [][]float64{st.Sum[l], st.Gram[l]} {
			if i := slices.IndexFunc(v, notFinite); i >= 0 {
				return fmt.Errorf("layer %d: %v in its sums (value %d): not a finite statistic", l, v[i], i)
			}
		}
	}
	return nil
}

func notFinite(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }

// WriteQueryStats saves st to path (a safetensors file, written atomically).
func WriteQueryStats(path string, st *QueryStats) error {
	meta, err := json.Marshal(st.Meta)
	if err != nil {
		return err
	}
	return safetensors.Write(path, (&queryStatsSink{st: st}).tensors(0, st.Meta.Layers), map[string]string{queryStatsKey: string(meta)})
}

// IsQueryStats reports whether path is a query stats file (rather than a
// calibration stats file).
func IsQueryStats(path string) bool {
	ck, err := safetensors.Open(path)
	if err != nil {
		return false
	}
	defer ck.Close()
	_, ok := ck.Metadata()[queryStatsKey]
	return ok
}

// ReadQueryStats loads a file written by WriteQueryStats.
func ReadQueryStats(path string) (*QueryStats, error) {
	ck, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	defer ck.Close()
	raw, ok := ck.Metadata()[queryStatsKey]
	if !ok {
		return nil, fmt.Errorf("%s: not a qfilters query stats file (no %s metadata)", path, queryStatsKey)
	}
	var m QueryStatsMeta
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("%s: invalid query stats metadata: %v", path, err)
	}
	if m.Version != queryStatsVersion {
		return nil, fmt.Errorf("%s: query stats format version %d, this qfilters reads %d", path, m.Version, queryStatsVersion)
	}
	if m.Layers <= 0 || m.Heads <= 0 || m.HeadDim <= 0 || m.Layers > maxLayers || m.Heads > maxHeads || m.HeadDim > maxHeadDim ||
		m.Shards <= 0 || m.Shard < 0 || m.Shard >= m.Shards || m.NSink < 0 {
		return nil, fmt.Errorf("%s: invalid query stats metadata %+v", path, m)
	}
	// The directory written from it holds a covariance per layer and head,
	// layers without a cache included: bounded whatever the file holds.
	if covs := int64(m.Layers) * int64(m.Heads) * int64(m.HeadDim) * int64(m.HeadDim); covs > maxCovarianceValues {
		return nil, fmt.Errorf("%s: %d layers x %d heads x %d x %d head dims: above the %d covariance values any model's statistics have",
			path, m.Layers, m.Heads, m.HeadDim, m.HeadDim, int64(maxCovarianceValues))
	}
	if err := checkNoCache(m.NoCache, m.Layers); err != nil {
		return nil, fmt.Errorf("%s: invalid query stats metadata: %w", path, err)
	}
	st := &QueryStats{Meta: m, Count: make([]int64, m.Layers), Sum: make([][]float64, m.Layers), Gram: make([][]float64, m.Layers)}
	if err := (&queryStatsSink{st: st}).restore(ck, m.Layers); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// MergeQueryStats adds the statistics of every shard of one run, given in
// any order. It fails when they do not belong together or a shard is
// missing or repeated.
func MergeQueryStats(parts []*QueryStats, names []string) (*QueryStats, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("no query stats to merge")
	}
	order, err := shardOrder(len(parts), names,
		func(i int) (int, int) { return parts[i].Meta.Shard, parts[i].Meta.Shards },
		func(ref, i int) string { return queryMetaDiff(parts[ref].Meta, parts[i].Meta) })
	if err != nil {
		return nil, err
	}
	ref := parts[order[0]].Meta
	out := &QueryStats{Meta: ref, Count: make([]int64, ref.Layers), Sum: make([][]float64, ref.Layers), Gram: make([][]float64, ref.Layers)}
	out.Meta.Shard, out.Meta.Shards = 0, 1
	for l := range ref.Layers {
		if !hasCache(ref.NoCache, l) {
			continue
		}
		out.Sum[l] = make([]float64, ref.Heads*ref.HeadDim)
		out.Gram[l] = make([]float64, ref.Heads*ref.HeadDim*ref.HeadDim)
		for _, i := range order {
			p := parts[i]
			out.Count[l] += p.Count[l]
			for j, v := range p.Sum[l] {
				out.Sum[l][j] += v
			}
			for j, v := range p.Gram[l] {
				out.Gram[l][j] += v
			}
		}
	}
	return out, nil
}

func queryMetaDiff(a, b QueryStatsMeta) string {
	switch {
	case a.Sequences != b.Sequences || a.NumSeqs != b.NumSeqs:
		return "different sequences (corpus, tokenizer, --num-samples or --sample-chars)"
	case a.NSink != b.NSink:
		return fmt.Sprintf("--n-sink %d vs %d", a.NSink, b.NSink)
	case a.Layers != b.Layers || a.Heads != b.Heads || a.HeadDim != b.HeadDim || !slices.Equal(a.NoCache, b.NoCache):
		return "different model shapes"
	case a.Shards != b.Shards:
		return fmt.Sprintf("split into %d vs %d shards", a.Shards, b.Shards)
	}
	keys := make([]string, 0, len(a.Identity)+len(b.Identity))
	for k := range a.Identity {
		keys = append(keys, k)
	}
	for k := range b.Identity {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if a.Identity[k] != b.Identity[k] {
			return fmt.Sprintf("%s %q vs %q", k, a.Identity[k], b.Identity[k])
		}
	}
	return ""
}

// ExpStats turns complete statistics into what kvpress loads: the mean and
// the covariance with N-1, per layer and head, in float32.
func (st *QueryStats) ExpStats() (*export.ExpStats, error) {
	m := st.Meta
	if m.Shards != 1 {
		return nil, fmt.Errorf("query stats of shard %d/%d: merge all shards first", m.Shard, m.Shards)
	}
	h, d := m.Heads, m.HeadDim
	out := &export.ExpStats{Layers: m.Layers, Heads: h, HeadDim: d,
		Mean: make([]float32, m.Layers*h*d), Cov: make([]float32, m.Layers*h*d*d), NSink: m.NSink}
	for l := range m.Layers {
		if !hasCache(m.NoCache, l) {
			continue // zeros: no queries
		}
		n := float64(st.Count[l])
		if st.Count[l] < 2 {
			return nil, fmt.Errorf("layer %d: %d queries per head, a covariance needs at least 2", l, st.Count[l])
		}
		for head := range h {
			sum := st.Sum[l][head*d : (head+1)*d]
			gram := st.Gram[l][head*d*d : (head+1)*d*d]
			base := (l*h + head) * d
			for a := range d {
				out.Mean[base+a] = float32(sum[a] / n)
			}
			for a := range d {
				for b := range d {
					// Σ (x-μ)(x-μ)ᵀ = XᵀX - n μμᵀ = XᵀX - sum sumᵀ / n.
					c := (gram[a*d+b] - sum[a]*sum[b]/n) / (n - 1)
					out.Cov[base*d+a*d+b] = float32(c)
				}
			}
		}
	}
	return out, nil
}

// preRoPESink is a sink that also receives, per layer, each sequence's
// queries before RoPE [len][heads·headDim] (seq indexes all sequences), in
// order; wantsRows false spares gathering sampled rows it would ignore.
type preRoPESink interface {
	preRoPE(l, seq int, q []float32)
	wantsRows() bool
}

// RunWithQueryStats calibrates m on seqs as Run does and gathers, in the same
// pass, the query statistics CollectQueryStats would (over the same
// sequences, nSink tokens of each left out). Checkpoints hold both.
func RunWithQueryStats(m *model.Model, seqs [][]int, nSink int, opt Options) (*Result, *QueryStats, error) {
	if opt.Sign == "" {
		opt.Sign = SignVote
	}
	if opt.Sign != SignVote && opt.Sign != SignMean {
		return nil, nil, fmt.Errorf("unknown sign rule %q (vote, mean)", opt.Sign)
	}
	if nSink < 0 {
		return nil, nil, fmt.Errorf("n_sink %d < 0", nSink)
	}
	opt.Shard, opt.Shards = 0, 1
	c := m.Config
	s := &solveSink{res: newResultFor(c), rule: opt.Sign, seqOf: offsetsSeqOf(seqOffsets(seqs))}
	q := &queryStatsSink{st: newQueryStats(c, seqs, nSink, opt), prefix: "query_stats."}
	if err := gather(m, seqs, opt, teeSink{s, q}); err != nil {
		return nil, nil, err
	}
	return s.res, q.st, nil
}

// teeSink hands what gather produces to a sink that wants the sampled rows
// and to the query statistics.
type teeSink struct {
	rows sink
	q    *queryStatsSink
}

func (t teeSink) layer(l int, positions []int, rows []float32) error {
	if err := t.rows.layer(l, positions, rows); err != nil {
		return err
	}
	return t.q.layer(l, positions, rows)
}

func (t teeSink) tensors(from, to int) []safetensors.Tensor {
	return append(t.rows.tensors(from, to), t.q.tensors(from, to)...)
}

func (t teeSink) restore(ck tensorReader, layers int) error {
	if err := t.rows.restore(ck, layers); err != nil {
		return err
	}
	return t.q.restore(ck, layers)
}

func (t teeSink) preRoPE(l, seq int, q []float32) { t.q.preRoPE(l, seq, q) }

func (t teeSink) wantsRows() bool { return true }
