package calibrate

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/qfilters/qfilters/model"
	"github.com/qfilters/qfilters/safetensors"
)

// Stats are what one shard of a calibration gathered, per layer. They merge
// exactly and in any order:
//   - with sampled positions (the default), the sample of each layer is
//     drawn over all sequences from the seed, so every worker knows it; a
//     shard keeps the sampled rows that fall in its sequences, and merging
//     concatenates them in position order: exactly the rows an unsharded run
//     uses, so the merged filters are bit-identical, for both sign rules;
//   - with every position (--samples all), rows are kept when the vote needs
//     them and all shards' rows together fit in maxMergedRowBytes; otherwise
//     a shard keeps per head the Gram matrix XᵀX, the row sum and the count
//     (float64) and merging adds them (Meta.Gram). The vote needs the rows
//     themselves, so Gram statistics solve with the mean rule only, and a
//     vote that would need them is refused before the shard computes.
type Stats struct {
	Meta   StatsMeta
	Layers []LayerStats
}

// StatsMeta identifies a shard: stats merge only when everything but Shard
// and Provenance agrees.
type StatsMeta struct {
	Version        int               `json:"version"`
	Identity       map[string]string `json:"identity"`
	Provenance     map[string]string `json:"provenance,omitempty"` // not compared
	Samples        int               `json:"samples"`
	Seed           int64             `json:"seed"`
	Sequences      string            `json:"sequences"` // hash of all selected sequences
	NumSeqs        int               `json:"num_seqs"`
	TotalPositions int               `json:"total_positions"`
	// First and End delimit the shard's positions [First, End); the shards'
	// ranges tile [0, TotalPositions).
	First int `json:"first_position"`
	End   int `json:"end_position"`
	// SeqLen is the length of every sequence when they are all alike (0
	// otherwise, or from older files): Solve needs it to split the rows by
	// sequence for the split-half stability.
	SeqLen int `json:"seq_len,omitempty"`
	// Gram: per-head Gram matrices instead of rows (every position, mean rule).
	Gram    bool `json:"gram,omitempty"`
	Layers  int  `json:"layers"`
	Heads   int  `json:"heads"`
	KVHeads int  `json:"kv_heads"`
	HeadDim int  `json:"head_dim"`
	Shard   int  `json:"shard"`
	Shards  int  `json:"shards"`
	// NoCache lists the layers without a KV cache (linear attention): they
	// hold no statistics.
	NoCache []int `json:"no_cache_layers,omitempty"`
	// Per-layer shapes when layers differ (KVHeads, HeadDim are then the
	// largest and rows are padded to them) and the owner of the cache each
	// layer reads, when caches are shared.
	LayerKVHeads []int `json:"layer_kv_heads,omitempty"`
	LayerHeadDim []int `json:"layer_head_dim,omitempty"`
	KVOwner      []int `json:"kv_owner,omitempty"`
}

// LayerStats is one layer's share of the statistics.
type LayerStats struct {
	Positions []int64   // sampled mode: global positions of Rows, increasing
	Rows      []float32 // sampled mode: [len(Positions)][Heads·HeadDim]
	Gram      []float64 // every-position mode: [Heads][HeadDim][HeadDim]
	Sum       []float64 // every-position mode: [Heads][HeadDim]
	Count     int64     // every-position mode: rows accumulated per head
	// Every-position mode with SeqLen known: the same sums over the rows of
	// each fold (sequence index mod 4), for the split-half stability
	// (stability.go; nil in files without them: then there is none).
	FoldGram  [stabilityFolds][]float64
	FoldSum   [stabilityFolds][]float64
	FoldCount [stabilityFolds]int64
}

// statsVersion 3: identity by content, paths in provenance, the shard's
// position range and an explicit Gram mode.
const statsVersion = 3

// maxMergedRowBytes bounds the rows of every position that shards ship for
// the vote (--samples all): merge holds them all. Beyond it shards keep Gram
// matrices, which the vote cannot use.
const maxMergedRowBytes = 2 << 30

// Collect runs shard opt.Shard of opt.Shards over seqs (the same selection on
// every worker) and returns its statistics.
func Collect(m *model.Model, seqs [][]int, opt Options) (*Stats, error) {
	c := m.Config
	p, err := planCollect(c, seqs, opt)
	if err != nil {
		return nil, err
	}
	total, first, end, samples, gram, sh := p.total, p.first, p.end, p.samples, p.gram, p.sh
	seqLen := len(seqs[0])
	for _, s := range seqs {
		if len(s) != seqLen {
			seqLen = 0
		}
	}
	st := &Stats{Meta: StatsMeta{
		Version: statsVersion, SeqLen: seqLen, Identity: opt.Identity, Provenance: opt.Provenance, Samples: samples, Seed: opt.Seed,
		Sequences: sequencesHash(seqs), NumSeqs: len(seqs), TotalPositions: total, First: first, End: end, Gram: gram,
		Layers: c.Layers, Heads: c.Heads, KVHeads: sh.maxKV, HeadDim: sh.maxD,
		Shard: opt.Shard, Shards: opt.Shards, NoCache: noCacheLayers(c),
		LayerKVHeads: sh.kv, LayerHeadDim: sh.d, KVOwner: sh.owner,
	}, Layers: make([]LayerStats, c.Layers)}
	if err := gather(m, seqs, opt, (*statsSink)(st)); err != nil {
		return nil, err
	}
	return st, nil
}

// CheckCollect refuses, before any work, what Collect would refuse: a shard
// outside the sequences, a sample count sharded runs cannot redraw, the vote
// over more rows than shards can ship.
func CheckCollect(c *model.Config, seqs [][]int, opt Options) error {
	_, err := planCollect(c, seqs, opt)
	return err
}

// collectPlan is what Collect decides before running: the positions in all
// and of this shard, the samples, rows or Gram matrices.
type collectPlan struct {
	total, first, end, samples int
	gram                       bool
	sh                         shapes
}

func planCollect(c *model.Config, seqs [][]int, opt Options) (collectPlan, error) {
	var p collectPlan
	if opt.Shards <= 0 || opt.Shard < 0 || opt.Shard >= opt.Shards || opt.Shards > len(seqs) {
		return p, fmt.Errorf("shard %d/%d of %d sequences: need 0 <= shard < shards <= sequences", opt.Shard, opt.Shards, len(seqs))
	}
	for i, s := range seqs {
		if i == opt.Shard*len(seqs)/opt.Shards {
			p.first = p.total
		}
		p.total += len(s)
		if i == (opt.Shard+1)*len(seqs)/opt.Shards-1 {
			p.end = p.total
		}
	}
	p.samples = max(opt.Samples, 0)
	if p.samples < p.total && (p.samples > maxStatsSamples || int64(p.samples)*int64(c.Layers) > int64(maxSampleWork)) {
		return p, fmt.Errorf("--samples %d over %d layers: sharded runs keep at most %d per layer and %d in all (or every position)", p.samples, c.Layers, maxStatsSamples, maxSampleWork)
	}
	p.sh = shapesOf(c)
	var err error
	p.gram, err = useGram(p.samples, p.total, c.Layers, c.Heads*p.sh.maxD, opt.Sign)
	return p, err
}

// useGram decides whether shards keep Gram matrices rather than rows: only
// over every position (samples 0; a count keeps at most that many rows per
// layer, which the user asked for), and then only when the mean rule needs
// no rows or the rows of every position would not fit. The vote over Gram
// matrices is refused now, before any computation, rather than at merge.
func useGram(samples, total, layers, width int, rule SignRule) (bool, error) {
	if samples > 0 {
		return false, nil
	}
	if rule == SignMean {
		return true, nil
	}
	bytes := float64(total) * float64(width) * 4 * float64(layers)
	if bytes <= maxMergedRowBytes {
		return false, nil
	}
	return false, fmt.Errorf("the vote sign rule needs every sampled query row, and the rows of all %d positions (%.1f GB over %d layers) are too many to ship between shards: use --sign mean (Gram matrices, which merge exactly) or --samples N with a count", total, bytes/1e9, layers)
}

// statsSink fills a Stats layer by layer.
type statsSink Stats

func (s *statsSink) layer(l int, positions []int, rows []float32) error {
	st := (*Stats)(s)
	ls := &st.Layers[l]
	if !hasCache(st.Meta.NoCache, l) {
		return nil
	}
	if !st.Meta.Gram {
		ls.Positions = make([]int64, len(positions))
		for i, p := range positions {
			ls.Positions[i] = int64(p)
		}
		ls.Rows = rows
		return nil
	}
	h, d := st.Meta.Heads, st.Meta.HeadDim
	ls.Gram = make([]float64, h*d*d)
	ls.Sum = make([]float64, h*d)
	// Heads are independent and each is summed in row order as before: the
	// bytes do not depend on the number of threads.
	eachHead(h, func(head int) {
		hs := &headStats{gram: ls.Gram[head*d*d : (head+1)*d*d], sum: ls.Sum[head*d : (head+1)*d]}
		hs.add(rows, len(positions), h*d, head*d)
	})
	ls.Count = int64(len(positions))
	if st.Meta.SeqLen > 0 {
		ls.addFolds(rows, positions, h, d, st.Meta.SeqLen)
	}
	return nil
}

// addFolds accumulates the rows of each fold's sequences (of seqLen
// positions each) into the layer's fold statistics.
func (ls *LayerStats) addFolds(rows []float32, positions []int, h, d, seqLen int) {
	for k := range stabilityFolds {
		ls.FoldGram[k] = make([]float64, h*d*d)
		ls.FoldSum[k] = make([]float64, h*d)
	}
	// Runs of consecutive rows from one sequence.
	for i := 0; i < len(positions); {
		seq := positions[i] / seqLen
		j := i
		for j < len(positions) && positions[j]/seqLen == seq {
			j++
		}
		k := seq % stabilityFolds
		run := rows[i*h*d : j*h*d]
		eachHead(h, func(head int) {
			hs := &headStats{gram: ls.FoldGram[k][head*d*d : (head+1)*d*d], sum: ls.FoldSum[k][head*d : (head+1)*d]}
			hs.add(run, j-i, h*d, head*d)
		})
		ls.FoldCount[k] += int64(j - i)
		i = j
	}
}

func (s *statsSink) tensors(from, to int) []safetensors.Tensor {
	st := (*Stats)(s)
	var out []safetensors.Tensor
	for l := from; l < to; l++ {
		ls := st.Layers[l]
		switch {
		case ls.Rows != nil:
			out = append(out, i64Tensor(fmt.Sprintf("positions.%d", l), ls.Positions),
				f32Tensor(fmt.Sprintf("rows.%d", l), ls.Rows, len(ls.Positions), st.Meta.Heads*st.Meta.HeadDim))
		case ls.Gram != nil:
			h, d := st.Meta.Heads, st.Meta.HeadDim
			out = append(out, f64Tensor(fmt.Sprintf("gram.%d", l), ls.Gram, h, d, d),
				f64Tensor(fmt.Sprintf("sum.%d", l), ls.Sum, h, d),
				i64Tensor(fmt.Sprintf("count.%d", l), []int64{ls.Count}))
			if ls.FoldGram[0] != nil {
				for k := range stabilityFolds {
					out = append(out, f64Tensor(fmt.Sprintf("gram_fold%d.%d", k, l), ls.FoldGram[k], h, d, d),
						f64Tensor(fmt.Sprintf("sum_fold%d.%d", k, l), ls.FoldSum[k], h, d),
						i64Tensor(fmt.Sprintf("count_fold%d.%d", k, l), []int64{ls.FoldCount[k]}))
				}
			}
		}
	}
	return out
}

func (s *statsSink) restore(ck tensorReader, layers int) error {
	st := (*Stats)(s)
	h, d := st.Meta.Heads, st.Meta.HeadDim
	for l := 0; l < layers; l++ {
		ls := &st.Layers[l]
		var err error
		if !hasCache(st.Meta.NoCache, l) {
			continue
		}
		if !st.Meta.Gram {
			if ls.Positions, err = readI64(ck, fmt.Sprintf("positions.%d", l)); err != nil {
				return err
			}
			var n int
			if ls.Rows, n, err = readRows(ck, fmt.Sprintf("rows.%d", l), h*d); err != nil {
				return err
			}
			if n != len(ls.Positions) {
				return fmt.Errorf("layer %d: %d rows for %d positions", l, n, len(ls.Positions))
			}
		} else {
			if ls.Gram, err = readF64(ck, fmt.Sprintf("gram.%d", l), h*d*d); err != nil {
				return err
			}
			if ls.Sum, err = readF64(ck, fmt.Sprintf("sum.%d", l), h*d); err != nil {
				return err
			}
			count, err := readI64(ck, fmt.Sprintf("count.%d", l))
			if err != nil {
				return err
			}
			if len(count) != 1 {
				return fmt.Errorf("layer %d: count holds %d values, want 1", l, len(count))
			}
			ls.Count = count[0]
			if err := ls.restoreFolds(ck, l, h, d); err != nil {
				return err
			}
		}
		if err := st.checkLayer(l); err != nil {
			return err
		}
	}
	return nil
}

// restoreFolds reads layer l's fold statistics when the file has them.
func (ls *LayerStats) restoreFolds(ck tensorReader, l, h, d int) error {
	if _, err := ck.Tensor(fmt.Sprintf("count_fold0.%d", l)); err != nil {
		return nil // a file without folds
	}
	for k := range stabilityFolds {
		var err error
		if ls.FoldGram[k], err = readF64(ck, fmt.Sprintf("gram_fold%d.%d", k, l), h*d*d); err != nil {
			return err
		}
		if ls.FoldSum[k], err = readF64(ck, fmt.Sprintf("sum_fold%d.%d", k, l), h*d); err != nil {
			return err
		}
		count, err := readI64(ck, fmt.Sprintf("count_fold%d.%d", k, l))
		if err != nil {
			return err
		}
		if len(count) != 1 {
			return fmt.Errorf("layer %d: count_fold%d holds %d values, want 1", l, k, len(count))
		}
		ls.FoldCount[k] = count[0]
	}
	return nil
}

// WriteStats saves st to path (a safetensors file, written atomically).
func WriteStats(path string, st *Stats) error {
	meta, err := json.Marshal(st.Meta)
	if err != nil {
		return err
	}
	return safetensors.Write(path, (*statsSink)(st).tensors(0, len(st.Layers)), map[string]string{"qfilters.stats": string(meta)})
}

// ReadStats loads a stats file written by WriteStats.
func ReadStats(path string) (*Stats, error) {
	ck, err := safetensors.Open(path)
	if err != nil {
		if _, serr := os.Stat(path); serr != nil {
			return nil, err // names the file and what is wrong with it
		}
		return nil, fmt.Errorf("%s: not a qfilters stats file (%s)", path, strings.TrimPrefix(err.Error(), path+": "))
	}
	defer ck.Close()
	raw, ok := ck.Metadata()["qfilters.stats"]
	if !ok {
		return nil, fmt.Errorf("%s: not a qfilters stats file (no qfilters.stats metadata)", path)
	}
	st := &Stats{}
	if err := json.Unmarshal([]byte(raw), &st.Meta); err != nil {
		return nil, fmt.Errorf("%s: invalid stats metadata: %v", path, err)
	}
	if err := st.Meta.check(); err != nil {
		return nil, fmt.Errorf("%s: invalid stats metadata: %w", path, err)
	}
	st.Layers = make([]LayerStats, st.Meta.Layers)
	if err := (*statsSink)(st).restore(ck, st.Meta.Layers); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// Merge combines the stats of every shard of one calibration, given in any
// order, into one. It fails when they do not belong together (different
// model, corpus, settings or sequences), when a shard is missing or repeated.
func Merge(parts []*Stats, names []string) (*Stats, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("no stats to merge")
	}
	order, err := shardOrder(len(parts), names,
		func(i int) (int, int) { return parts[i].Meta.Shard, parts[i].Meta.Shards },
		func(ref, i int) string { return metaDiff(parts[ref].Meta, parts[i].Meta) })
	if err != nil {
		return nil, err
	}
	ref := parts[order[0]].Meta
	// The shards' positions tile [0, total) in shard order.
	at := 0
	for _, i := range order {
		m := parts[i].Meta
		if m.First != at {
			return nil, fmt.Errorf("%s: shard %d/%d starts at position %d, but the shards before it end at %d", names[i], m.Shard, m.Shards, m.First, at)
		}
		at = m.End
	}
	if at != ref.TotalPositions {
		return nil, fmt.Errorf("%s: the last shard ends at position %d of %d", names[order[len(order)-1]], at, ref.TotalPositions)
	}
	out := &Stats{Meta: ref, Layers: make([]LayerStats, ref.Layers)}
	out.Meta.Shard, out.Meta.Shards = 0, 1
	out.Meta.First, out.Meta.End = 0, ref.TotalPositions
	for l := range out.Layers {
		dst := &out.Layers[l]
		if !hasCache(ref.NoCache, l) {
			continue
		}
		for _, i := range order { // shard order = position order
			dst.add(parts[i].Layers[l])
		}
		mergeFolds(dst, parts, order, l)
	}
	return out, nil
}

// add appends src's sampled rows to ls, or adds its sums (every-position
// mode); fold statistics are left to the caller.
func (ls *LayerStats) add(src LayerStats) {
	if src.Rows != nil {
		ls.Positions = append(ls.Positions, src.Positions...)
		ls.Rows = append(ls.Rows, src.Rows...)
		return
	}
	if ls.Gram == nil {
		ls.Gram = make([]float64, len(src.Gram))
		ls.Sum = make([]float64, len(src.Sum))
	}
	addTo(ls.Gram, src.Gram)
	addTo(ls.Sum, src.Sum)
	ls.Count += src.Count
}

func addTo(dst, src []float64) {
	for i, v := range src {
		dst[i] += v
	}
}

// mergeFolds adds the shards' fold statistics of layer l, when every shard
// has them.
func mergeFolds(dst *LayerStats, parts []*Stats, order []int, l int) {
	for _, i := range order {
		if parts[i].Layers[l].FoldGram[0] == nil {
			return
		}
	}
	for _, i := range order {
		dst.addFoldStats(parts[i].Layers[l])
	}
}

// addFoldStats adds src's fold statistics to ls's.
func (ls *LayerStats) addFoldStats(src LayerStats) {
	for k := range stabilityFolds {
		if ls.FoldGram[k] == nil {
			ls.FoldGram[k] = make([]float64, len(src.FoldGram[k]))
			ls.FoldSum[k] = make([]float64, len(src.FoldSum[k]))
		}
		addTo(ls.FoldGram[k], src.FoldGram[k])
		addTo(ls.FoldSum[k], src.FoldSum[k])
		ls.FoldCount[k] += src.FoldCount[k]
	}
}

// metaDiff names the first field on which two shards' metadata disagree.
func metaDiff(a, b StatsMeta) string {
	switch {
	case a.Sequences != b.Sequences || a.NumSeqs != b.NumSeqs || a.TotalPositions != b.TotalPositions || a.SeqLen != b.SeqLen:
		return "different calibration sequences (corpus, tokenizer or --seq-len/--num-seqs)"
	case a.Samples != b.Samples:
		return fmt.Sprintf("--samples %d vs %d", a.Samples, b.Samples)
	case a.Gram != b.Gram:
		return "Gram matrices vs query rows (--sign mean vs vote over every position)"
	case a.Seed != b.Seed:
		return fmt.Sprintf("--seed %d vs %d", a.Seed, b.Seed)
	case a.Layers != b.Layers || a.Heads != b.Heads || a.KVHeads != b.KVHeads || a.HeadDim != b.HeadDim ||
		!slices.Equal(a.NoCache, b.NoCache) || !slices.Equal(a.LayerKVHeads, b.LayerKVHeads) ||
		!slices.Equal(a.LayerHeadDim, b.LayerHeadDim) || !slices.Equal(a.KVOwner, b.KVOwner):
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
			return identityDiff(k, a.Identity[k], b.Identity[k])
		}
	}
	return ""
}

// Solve computes the filters from complete (merged or single-shard-of-one)
// statistics.
func Solve(st *Stats, rule SignRule) (*Result, error) {
	m := st.Meta
	if m.Shards != 1 {
		return nil, fmt.Errorf("stats of shard %d/%d: merge all shards first", m.Shard, m.Shards)
	}
	res := newResult(m.Layers, m.Heads, m.KVHeads, m.HeadDim)
	res.NoCache = m.NoCache
	res.LayerKVHeads, res.LayerHeadDim, res.KVOwner = m.LayerKVHeads, m.LayerHeadDim, m.KVOwner
	d := m.HeadDim
	for l := range st.Layers {
		if !hasCache(m.NoCache, l) {
			continue
		}
		owner, last := res.cacheGroup(l)
		if l != last {
			continue // a shared cache is solved at its last reader
		}
		ls := st.Layers[l]
		if owner != l {
			ls = st.groupStats(owner, d)
		}
		l := owner
		var seqOf func(p int) int
		if m.SeqLen > 0 {
			seqOf = func(p int) int { return p / m.SeqLen }
		}
		if ls.Rows != nil {
			heads, err := solveRows(ls.Rows, len(ls.Positions), m.Heads, d, rule)
			if err != nil {
				return nil, fmt.Errorf("layer %d: %w", l, err)
			}
			res.SamplesUsed = len(ls.Positions)
			res.store(l, heads)
			positions := make([]int, len(ls.Positions))
			for i, p := range ls.Positions {
				positions[i] = int(p)
			}
			if err := res.storeStability(l, ls.Rows, positions, rule, seqOf, heads); err != nil {
				return nil, fmt.Errorf("layer %d: %w", l, err)
			}
			res.copyToReaders(l)
			continue
		}
		if rule == SignVote {
			return nil, fmt.Errorf("the vote sign rule needs the sampled rows, which stats of every position (--samples all) do not keep: use --sign mean, or --samples N")
		}
		heads := make([]*headResult, m.Heads)
		for h := range heads {
			hs := &headStats{gram: ls.Gram[h*d*d : (h+1)*d*d], sum: ls.Sum[h*d : (h+1)*d], count: int(ls.Count)}
			r, err := solveHead(hs, rule, nil)
			if err != nil {
				return nil, fmt.Errorf("layer %d head %d: %w", l, h, err)
			}
			heads[h] = r
		}
		res.SamplesUsed = int(ls.Count)
		res.store(l, heads)
		// Without the rows there is no vote to agree with.
		res.SignAgreement = nil
		if err := ls.foldsStability(res, l, rule, heads); err != nil {
			return nil, fmt.Errorf("layer %d: %w", l, err)
		}
		res.copyToReaders(l)
	}
	return res, nil
}

// foldsStability stores layer l's split-half stability from the fold Gram
// statistics (mean rule): each split's halves are sums of two folds. Without
// fold statistics the result's stability is dropped.
func (ls *LayerStats) foldsStability(res *Result, l int, rule SignRule, full []*headResult) error {
	if res.Stability == nil {
		return nil
	}
	if ls.FoldGram[0] == nil {
		res.Stability, res.StabilityKV = nil, nil
		return nil
	}
	h, d := res.Heads, res.HeadDim
	var sq, skv []float64
	splits := 0
	for _, split := range foldSplits {
		var halves [2][]*headResult
		var count [2]int64
		for f, k := range split {
			count[k] += ls.FoldCount[f]
		}
		if count[0] == 0 || count[1] == 0 {
			continue
		}
		for k := range 2 {
			halves[k] = make([]*headResult, h)
			for head := range h {
				hs := &headStats{gram: make([]float64, d*d), sum: make([]float64, d), count: int(count[k])}
				for f, in := range split {
					if in != k {
						continue
					}
					for j, v := range ls.FoldGram[f][head*d*d : (head+1)*d*d] {
						hs.gram[j] += v
					}
					for j, v := range ls.FoldSum[f][head*d : (head+1)*d] {
						hs.sum[j] += v
					}
				}
				r, err := solveHalf(hs, rule, nil, startOf(full, head))
				if err != nil {
					return fmt.Errorf("split-half stability, head %d: %w", head, err)
				}
				halves[k][head] = r
			}
		}
		q, kv := halvesCosine(halves[0], halves[1], res.kvOf(l))
		sq, skv = addCosines(sq, q), addCosines(skv, kv)
		splits++
	}
	if splits == 0 {
		res.Stability, res.StabilityKV = nil, nil
		return nil
	}
	copy(res.Stability[l*h:], meanCosines(sq, splits))
	copy(res.StabilityKV[l*res.KVHeads:], meanCosines(skv, splits))
	return nil
}
