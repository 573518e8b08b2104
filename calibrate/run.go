// Package calibrate runs a model over calibration sequences, gathers the
// post-RoPE queries of every head and solves the Q-Filters: the principal
// direction of each query head, oriented by the sign rule, negated, and
// averaged over each grouped-query group.
//
// A run can be split by sequences into shards whose statistics merge
// exactly (Collect, Merge, Solve), and can checkpoint between layers and
// resume after a crash with an identical result.
package calibrate

import (
	"context"
	"fmt"
	"time"

	"github.com/qfilters/qfilters/model"
)

// Options control calibration.
type Options struct {
	// Samples is the number of token positions per layer used for the SVD,
	// chosen at random with Seed out of all calibration tokens; <= 0 uses
	// every position.
	Samples int
	Seed    int64
	Sign    SignRule
	// Shard and Shards select the part of the sequences this run processes
	// (Collect only): shard i of N takes sequences [i·n/N, (i+1)·n/N).
	Shard, Shards int
	// CheckpointDir, when set, receives the run's state (replacing the
	// previous one) every CheckpointLayers layers, or every
	// CheckpointInterval, or when both are zero as often as keeps the
	// writes under 5% of the run's time; a run started with the same
	// CheckpointDir and identical inputs resumes from it.
	CheckpointDir      string
	CheckpointLayers   int
	CheckpointInterval time.Duration
	// Checkpointed, when set, is called after each checkpoint with the last
	// layer it holds and how long writing it took.
	Checkpointed func(layer int, took time.Duration)
	// Identity names the inputs (model, corpus, settings) by content for
	// checkpoints and stats files; runs only resume from or merge with
	// identical identities.
	Identity map[string]string
	// Provenance says where the inputs came from (paths): stats files carry
	// it to merge, which never compares it.
	Provenance map[string]string
	// Progress, when set, is called after each sequence of each layer.
	Progress func(layer, seq int)
	// Resumed, when set, is called when a run continues from a checkpoint,
	// with the first layer it will compute.
	Resumed func(layer int)
	// Context, when set, stops the run once done: between two sequences, or
	// while it waits for a layer's weights to be read.
	Context context.Context
}

// Result holds the solved filters, flat and row-major.
type Result struct {
	Layers, Heads, KVHeads, HeadDim int
	QFilters                        []float32 // [Layers][KVHeads][HeadDim]
	PerQueryHead                    []float32 // [Layers][Heads][HeadDim]
	SingularValues                  []float32 // [Layers][Heads][HeadDim]
	SignAgreement                   []float32 // [Layers][Heads]
	SamplesUsed                     int       // per layer
	// NoCache lists the layers without a KV cache (linear attention),
	// increasing; their rows in every array above are zeros. nil when every
	// layer has a cache.
	NoCache []int
	// LayerKVHeads and LayerHeadDim are each layer's shape when layers
	// differ (nil otherwise): KVHeads and HeadDim are then the largest, and
	// a layer's rows are zero beyond its own. KVOwner[l] is the layer whose
	// cache layer l reads (nil without shared caches); a reader's rows are
	// its owner's.
	LayerKVHeads, LayerHeadDim []int
	KVOwner                    []int
	// Stability is the split-half stability of each query head's filter
	// [Layers][Heads], StabilityKV of each key/value head's (GQA) filter
	// [Layers][KVHeads]: the cosine of the filters solved from the even and
	// the odd sequences' sampled rows (stability.go). Nil when it cannot be
	// measured: one sequence, or statistics without rows or sequence bounds.
	Stability, StabilityKV []float32
}

// newResultFor sizes a result for model config c.
func newResultFor(c *model.Config) *Result {
	sh := shapesOf(c)
	r := newResult(c.Layers, c.Heads, sh.maxKV, sh.maxD)
	r.NoCache = noCacheLayers(c)
	r.LayerKVHeads, r.LayerHeadDim, r.KVOwner = sh.kv, sh.d, sh.owner
	return r
}

// kvOf is layer l's number of kv heads.
func (r *Result) kvOf(l int) int {
	if r.LayerKVHeads != nil {
		return r.LayerKVHeads[l]
	}
	return r.KVHeads
}

func newResult(layers, heads, kvHeads, headDim int) *Result {
	return &Result{
		Layers: layers, Heads: heads, KVHeads: kvHeads, HeadDim: headDim,
		QFilters:       make([]float32, layers*kvHeads*headDim),
		PerQueryHead:   make([]float32, layers*heads*headDim),
		SingularValues: make([]float32, layers*heads*headDim),
		SignAgreement:  make([]float32, layers*heads),
		Stability:      make([]float32, layers*heads),
		StabilityKV:    make([]float32, layers*kvHeads),
	}
}

// Run calibrates m on seqs, layer by layer: one layer's weights are loaded,
// every sequence's hidden states pass through it, its sampled queries are
// solved, and it is released before the next one.
func Run(m *model.Model, seqs [][]int, opt Options) (*Result, error) {
	if opt.Sign == "" {
		opt.Sign = SignVote
	}
	if opt.Sign != SignVote && opt.Sign != SignMean {
		return nil, fmt.Errorf("unknown sign rule %q (vote, mean)", opt.Sign)
	}
	opt.Shard, opt.Shards = 0, 1
	c := m.Config
	s := &solveSink{res: newResultFor(c), rule: opt.Sign, seqOf: offsetsSeqOf(seqOffsets(seqs))}
	if err := gather(m, seqs, opt, s); err != nil {
		return nil, err
	}
	return s.res, nil
}

// sink consumes each layer's sampled query rows and can save and restore
// what it has consumed so far (for checkpoints).
type sink interface {
	// layer receives layer l's sampled rows [len(positions)][heads*headDim]
	// at the given global positions, in increasing position order.
	layer(l int, positions []int, rows []float32) error
	state
}

// gather runs the model layer-major over this run's shard of seqs and hands
// each layer's sampled query rows to out.
func gather(m *model.Model, seqs [][]int, opt Options, out sink) error {
	c := m.Config
	if len(seqs) == 0 {
		return fmt.Errorf("no calibration sequences")
	}
	if opt.Shards <= 0 || opt.Shard < 0 || opt.Shard >= opt.Shards {
		return fmt.Errorf("shard %d/%d: need 0 <= shard < shards", opt.Shard, opt.Shards)
	}
	if opt.Shards > len(seqs) {
		return fmt.Errorf("%d shards for %d sequences: every shard needs at least one", opt.Shards, len(seqs))
	}
	sh := shapesOf(c)
	qWidth := c.Heads * sh.maxD
	// offsets[s] is the global position of sequence s's first token.
	offsets := make([]int, len(seqs)+1)
	for s, ids := range seqs {
		offsets[s+1] = offsets[s] + len(ids)
	}
	total := offsets[len(seqs)]
	first, end := opt.Shard*len(seqs)/opt.Shards, (opt.Shard+1)*len(seqs)/opt.Shards

	lens := make([]int, end-first)
	for i := range lens {
		lens[i] = len(seqs[first+i])
	}
	ck := newCheckpointer(opt, m, seqs[first:end])
	// hidden holds the shard's sequences one after another, [Σ lens][hidden].
	hidden, start, err := ck.resume(out, lens)
	if err != nil {
		return err
	}
	if hidden != nil && opt.Resumed != nil {
		opt.Resumed(start)
	}
	if hidden == nil {
		emb, err := m.Embedding()
		if err != nil {
			return err
		}
		hidden = make([]float32, 0, (offsets[end]-offsets[first])*c.Hidden)
		for s := first; s < end; s++ {
			h, err := emb.Embed(seqs[s])
			if err != nil {
				return fmt.Errorf("sequence %d: %w", s, err)
			}
			hidden = append(hidden, h...)
		}
	}
	// Layer l+1's weights are read while layer l computes: reading a layer of
	// a large checkpoint takes about as long as computing it, and overlapping
	// the two costs one more layer of memory. (On an early return, a load in
	// flight finishes into the buffered channel and is dropped.) Waiting for
	// a load stops when the run is cancelled: a read from a slow disk or a
	// stalled network file system may take minutes.
	ctx := opt.Context
	if ctx == nil {
		ctx = context.Background()
	}
	loads := make(chan loaded, 1)
	load := func(l int) {
		layer, err := m.Layer(l, l < c.Layers-1)
		loads <- loaded{layer, err}
	}
	// A sink that wants the queries before RoPE gets them per sequence;
	// one that wants nothing else gets no sampled rows.
	pre, _ := out.(preRoPESink)
	preOnly := pre != nil && !pre.wantsRows()
	var tokens []int // for per-layer embeddings (Gemma 4)
	if c.Gemma4.PLEDim > 0 {
		for _, ids := range seqs[first:end] {
			tokens = append(tokens, ids...)
		}
	}
	go load(start)
	for l := start; l < c.Layers; l++ {
		var ld loaded
		select {
		case ld = <-loads:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if ld.err != nil {
			return ld.err
		}
		layer := ld.layer
		layer.Tokens = tokens
		dl := c.HeadDimOf(l)
		if l+1 < c.Layers {
			go load(l + 1)
		} else {
			close(loads)
		}
		last := l == c.Layers-1
		if !c.HasCache(l) {
			// No queries: the layer only carries the hidden states on.
			if !last {
				layer.Forward(hidden, lens, nil)
			}
			if opt.Progress != nil {
				for i := range lens {
					opt.Progress(l, i)
				}
			}
			if opt.Context != nil && opt.Context.Err() != nil {
				return context.Cause(opt.Context)
			}
			if err := out.layer(l, nil, nil); err != nil {
				return fmt.Errorf("layer %d: %w", l, err)
			}
			if err := ck.layerDone(l+1, hidden, out); err != nil {
				return err
			}
			continue
		}
		if opt.Context != nil {
			layer.Stop = func() bool { return opt.Context.Err() != nil }
		}
		// The layer's sample is drawn over all sequences; this shard keeps
		// the positions that fall in its own.
		var positions []int
		drawn := samplePositions
		if ps, ok := out.(positioner); ok {
			drawn = func(int64, int, int, int) []int { return ps.positions(l) }
		}
		for _, p := range drawn(opt.Seed, l, total, opt.Samples) {
			if p >= offsets[first] && p < offsets[end] && !preOnly {
				positions = append(positions, p)
			}
		}
		if pre != nil {
			ps := first // the sequence PreRoPE receives next
			layer.PreRoPE = func(_ int, q []float32) {
				pre.preRoPE(l, ps, sh.pad(q, dl))
				ps++
			}
		}
		rows := make([]float32, len(positions)*qWidth)
		next := 0  // index into positions
		s := first // the sequence keep receives next
		keep := func(_ int, q, _ []float32) {
			q = sh.pad(q, dl)
			for next < len(positions) && positions[next] < offsets[s+1] {
				p := positions[next] - offsets[s]
				copy(rows[next*qWidth:(next+1)*qWidth], q[p*qWidth:(p+1)*qWidth])
				next++
			}
			if opt.Progress != nil {
				opt.Progress(l, s-first)
			}
			s++
		}
		if last {
			q := layer.Queries(hidden, lens)
			lw := c.Heads * dl // keep pads to qWidth
			for i, n := range lens {
				base := offsets[first+i] - offsets[first]
				keep(l, q[base*lw:(base+n)*lw], nil)
			}
		} else {
			layer.Forward(hidden, lens, keep)
		}
		if opt.Context != nil && opt.Context.Err() != nil {
			return context.Cause(opt.Context)
		}
		layer = nil
		if err := out.layer(l, positions, rows); err != nil {
			return fmt.Errorf("layer %d: %w", l, err)
		}
		// No checkpoint between a shared cache's owner and its last reader:
		// the owner's keys and values are not kept in it.
		if sh.inSharedSpan(l + 1) {
			continue
		}
		if err := ck.layerDone(l+1, hidden, out); err != nil {
			return err
		}
	}
	return nil
}

// positioner is a sink that chooses itself which positions of each layer it
// receives (sorted, within the sequences gather runs) instead of the sample.
type positioner interface {
	positions(l int) []int
}

// loaded is a layer read in the background.
type loaded struct {
	layer *model.Layer
	err   error
}
