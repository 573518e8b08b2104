package calibrate

import (
	"encoding/json"
	"fmt"
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
//   - with every position (--samples all), rows would be too many to ship, so
//     a shard keeps per head the Gram matrix XᵀX, the row sum and the count
//     (float64); merging adds them. The vote needs the rows themselves, so
//     this mode solves with the mean rule only.
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
	Layers         int               `json:"layers"`
	Heads          int               `json:"heads"`
	KVHeads        int               `json:"kv_heads"`
	HeadDim        int               `json:"head_dim"`
	Shard          int               `json:"shard"`
	Shards         int               `json:"shards"`
}

// LayerStats is one layer's share of the statistics.
type LayerStats struct {
	Positions []int64   // sampled mode: global positions of Rows, increasing
	Rows      []float32 // sampled mode: [len(Positions)][Heads·HeadDim]
	Gram      []float64 // every-position mode: [Heads][HeadDim][HeadDim]
	Sum       []float64 // every-position mode: [Heads][HeadDim]
	Count     int64     // every-position mode: rows accumulated per head
}

// statsVersion 2: identity by content, paths moved to provenance.
const statsVersion = 2

// Collect runs shard opt.Shard of opt.Shards over seqs (the same selection on
// every worker) and returns its statistics.
func Collect(m *model.Model, seqs [][]int, opt Options) (*Stats, error) {
	c := m.Config
	total := 0
	for _, s := range seqs {
		total += len(s)
	}
	st := &Stats{Meta: StatsMeta{
		Version: statsVersion, Identity: opt.Identity, Provenance: opt.Provenance, Samples: max(opt.Samples, 0), Seed: opt.Seed,
		Sequences: sequencesHash(seqs), NumSeqs: len(seqs), TotalPositions: total,
		Layers: c.Layers, Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim,
		Shard: opt.Shard, Shards: opt.Shards,
	}, Layers: make([]LayerStats, c.Layers)}
	if err := gather(m, seqs, opt, (*statsSink)(st)); err != nil {
		return nil, err
	}
	return st, nil
}

func (st *Stats) allPositions() bool {
	return st.Meta.Samples == 0 || st.Meta.Samples >= st.Meta.TotalPositions
}

// statsSink fills a Stats layer by layer.
type statsSink Stats

func (s *statsSink) layer(l int, positions []int, rows []float32) error {
	st := (*Stats)(s)
	ls := &st.Layers[l]
	if !st.allPositions() {
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
	for head := 0; head < h; head++ {
		hs := newHeadStats(d)
		hs.add(rows, len(positions), h*d, head*d)
		copy(ls.Gram[head*d*d:], hs.gram)
		copy(ls.Sum[head*d:], hs.sum)
	}
	ls.Count = int64(len(positions))
	return nil
}

func (s *statsSink) tensors() []safetensors.Tensor {
	st := (*Stats)(s)
	var out []safetensors.Tensor
	for l, ls := range st.Layers {
		switch {
		case ls.Rows != nil:
			out = append(out, i64Tensor(fmt.Sprintf("positions.%d", l), ls.Positions),
				f32Tensor(fmt.Sprintf("rows.%d", l), ls.Rows, len(ls.Positions), st.Meta.Heads*st.Meta.HeadDim))
		case ls.Gram != nil:
			h, d := st.Meta.Heads, st.Meta.HeadDim
			out = append(out, f64Tensor(fmt.Sprintf("gram.%d", l), ls.Gram, h, d, d),
				f64Tensor(fmt.Sprintf("sum.%d", l), ls.Sum, h, d),
				i64Tensor(fmt.Sprintf("count.%d", l), []int64{ls.Count}))
		}
	}
	return out
}

func (s *statsSink) restore(ck *safetensors.Checkpoint, layers int) error {
	st := (*Stats)(s)
	h, d := st.Meta.Heads, st.Meta.HeadDim
	for l := 0; l < layers; l++ {
		ls := &st.Layers[l]
		var err error
		if !st.allPositions() {
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
			continue
		}
		if ls.Gram, err = readF64(ck, fmt.Sprintf("gram.%d", l), h*d*d); err != nil {
			return err
		}
		if ls.Sum, err = readF64(ck, fmt.Sprintf("sum.%d", l), h*d); err != nil {
			return err
		}
		count, err := readI64(ck, fmt.Sprintf("count.%d", l))
		if err != nil || len(count) != 1 {
			return fmt.Errorf("layer %d: invalid count: %v", l, err)
		}
		ls.Count = count[0]
	}
	return nil
}

// WriteStats saves st to path (a safetensors file, written atomically).
func WriteStats(path string, st *Stats) error {
	meta, err := json.Marshal(st.Meta)
	if err != nil {
		return err
	}
	return safetensors.Write(path, (*statsSink)(st).tensors(), map[string]string{"qfilters.stats": string(meta)})
}

// ReadStats loads a stats file written by WriteStats.
func ReadStats(path string) (*Stats, error) {
	ck, err := safetensors.Open(path)
	if err != nil {
		return nil, err
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
	m := st.Meta
	if m.Version != statsVersion {
		return nil, fmt.Errorf("%s: stats format version %d, this qfilters reads %d", path, m.Version, statsVersion)
	}
	if m.Layers <= 0 || m.Heads <= 0 || m.HeadDim <= 0 || m.KVHeads <= 0 || m.Heads%m.KVHeads != 0 ||
		m.Layers > 1<<12 || m.Heads > 1<<12 || m.HeadDim > 1<<14 || m.Shards <= 0 || m.Shard < 0 || m.Shard >= m.Shards {
		return nil, fmt.Errorf("%s: invalid stats metadata %+v", path, m)
	}
	st.Layers = make([]LayerStats, m.Layers)
	if err := (*statsSink)(st).restore(ck, m.Layers); err != nil {
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
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return parts[order[a]].Meta.Shard < parts[order[b]].Meta.Shard })
	ref := parts[order[0]].Meta
	seen := make(map[int]string)
	for _, i := range order {
		m := parts[i].Meta
		if diff := metaDiff(ref, m); diff != "" {
			return nil, fmt.Errorf("%s does not belong with %s: %s", names[i], names[order[0]], diff)
		}
		if prev, dup := seen[m.Shard]; dup {
			return nil, fmt.Errorf("shard %d/%d given twice (%s and %s)", m.Shard, m.Shards, prev, names[i])
		}
		seen[m.Shard] = names[i]
	}
	if len(seen) != ref.Shards {
		var missing []string
		for s := 0; s < ref.Shards; s++ {
			if _, ok := seen[s]; !ok {
				missing = append(missing, fmt.Sprintf("%d/%d", s, ref.Shards))
			}
		}
		return nil, fmt.Errorf("missing shards: %s", strings.Join(missing, ", "))
	}
	out := &Stats{Meta: ref, Layers: make([]LayerStats, ref.Layers)}
	out.Meta.Shard, out.Meta.Shards = 0, 1
	for l := range out.Layers {
		dst := &out.Layers[l]
		for _, i := range order { // shard order = position order
			src := parts[i].Layers[l]
			if src.Rows != nil {
				dst.Positions = append(dst.Positions, src.Positions...)
				dst.Rows = append(dst.Rows, src.Rows...)
				continue
			}
			if dst.Gram == nil {
				dst.Gram = make([]float64, len(src.Gram))
				dst.Sum = make([]float64, len(src.Sum))
			}
			for j, v := range src.Gram {
				dst.Gram[j] += v
			}
			for j, v := range src.Sum {
				dst.Sum[j] += v
			}
			dst.Count += src.Count
		}
	}
	return out, nil
}

// metaDiff names the first field on which two shards' metadata disagree.
func metaDiff(a, b StatsMeta) string {
	switch {
	case a.Sequences != b.Sequences || a.NumSeqs != b.NumSeqs || a.TotalPositions != b.TotalPositions:
		return "different calibration sequences (corpus, tokenizer or --seq-len/--num-seqs)"
	case a.Samples != b.Samples:
		return fmt.Sprintf("--samples %d vs %d", a.Samples, b.Samples)
	case a.Seed != b.Seed:
		return fmt.Sprintf("--seed %d vs %d", a.Seed, b.Seed)
	case a.Layers != b.Layers || a.Heads != b.Heads || a.KVHeads != b.KVHeads || a.HeadDim != b.HeadDim:
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

// Solve computes the filters from complete (merged or single-shard-of-one)
// statistics.
func Solve(st *Stats, rule SignRule) (*Result, error) {
	m := st.Meta
	if m.Shards != 1 {
		return nil, fmt.Errorf("stats of shard %d/%d: merge all shards first", m.Shard, m.Shards)
	}
	res := newResult(m.Layers, m.Heads, m.KVHeads, m.HeadDim)
	d := m.HeadDim
	for l, ls := range st.Layers {
		if ls.Rows != nil {
			heads, err := solveRows(ls.Rows, len(ls.Positions), m.Heads, d, rule)
			if err != nil {
				return nil, fmt.Errorf("layer %d: %w", l, err)
			}
			res.SamplesUsed = len(ls.Positions)
			res.store(l, heads)
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
	}
	return res, nil
}
