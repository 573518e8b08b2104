package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/model"
)

// Config of a full evaluation.
type Config struct {
	Options
	Seed uint64 // seed of the random method

	// Streaming perplexity: each head's cache is capped at CacheSize entries,
	// the Window most recent tokens are never evicted. CacheSize 0 skips it.
	CacheSize, Window int
	// PPLSeqs limits the sequences of the perplexity run (0: all).
	PPLSeqs int
	// Decode runs the perplexity token by token with a real evicting cache
	// (StreamNLL) instead of one masked forward pass per sequence
	// (maskedNLLs): the same figures to float32 rounding, far slower; the
	// reference the masked pass is tested against.
	Decode bool

	// ContextLen, when positive, also measures the context recall with the
	// first ContextLen tokens of each sequence as the context; ExpStats, when
	// set, adds expected_attention to its methods.
	ContextLen int
	ExpStats   *export.ExpStats

	// Progress, if set, is called after each unit of work of a stage.
	Progress func(stage string, done, total int)
	Context  context.Context
}

// Report is the outcome of Run.
type Report struct {
	Ratios    []int `json:"ratios"`
	MinKeys   int   `json:"min_keys"`
	Sinks     int   `json:"sinks"`
	Sequences int   `json:"sequences"`
	SeqLen    int   `json:"seq_len"`
	// QueriesPerHead is the number of queries evaluated per head and sequence
	// (in a full-attention layer: a sliding window may see fewer keys).
	QueriesPerHead int              `json:"queries_per_head"`
	Recall         []MethodRecall   `json:"recall"`
	Spearman       []MethodSpearman `json:"spearman"`
	Perplexity     *Perplexity      `json:"perplexity,omitempty"`
	ContextRecall  *ContextReport   `json:"context_recall,omitempty"`
	Seconds        ViewSeconds      `json:"view_seconds"`
}

// ViewSeconds is the wall time of each view: the recall views (per-query
// and context recall and the correlations share one pass over the model)
// and the streaming perplexity (nil when it did not run).
type ViewSeconds struct {
	Recall     float64  `json:"recall"`
	Perplexity *float64 `json:"perplexity,omitempty"`
}

// MethodRecall is the attention recall of one method: Mean[r] at Ratios[r],
// averaged over queries, heads, sequences and layers; PerLayer[l][r], nil
// (null in JSON) for a layer whose sliding window is smaller than MinKeys:
// none of its queries is evaluated, and Mean leaves it out.
type MethodRecall struct {
	Method   string      `json:"method"`
	Mean     []float64   `json:"mean"`
	PerLayer [][]float64 `json:"per_layer"`
}

// MethodSpearman is the mean over heads (and sequences) of the Spearman
// correlation between a method's keep scores and the mean attention keys
// receive; nil where no head had a defined correlation.
type MethodSpearman struct {
	Method   string     `json:"method"`
	Mean     *float64   `json:"mean"`
	PerLayer []*float64 `json:"per_layer"`
}

// Perplexity is the streaming generation experiment.
type Perplexity struct {
	CacheSize   int         `json:"cache_size"`
	Window      int         `json:"window"`
	Sinks       int         `json:"sinks"`
	Sequences   int         `json:"sequences"`
	Predictions int         `json:"predictions"`
	Methods     []MethodPPL `json:"methods"`
}

// MethodPPL is one method's perplexity. GapClosed is
// (ppl_streaming - ppl)/(ppl_streaming - ppl_full), nil when the full cache
// and Streaming-LLM tie.
type MethodPPL struct {
	Method    string   `json:"method"`
	PPL       float64  `json:"ppl"`
	GapClosed *float64 `json:"gap_closed"`
}

// PPLMethods are the methods of the streaming perplexity, in report order.
var PPLMethods = []string{Full, QFilters, KNorm, Streaming, Random}

// CheckShape reports filters that do not fit the model.
func CheckShape(c *model.Config, f *export.Filters) error {
	if f.Layers != c.Layers || f.KVHeads != c.MaxKVHeads() || f.HeadDim != c.MaxHeadDim() {
		return fmt.Errorf("filters are [%d layers, %d kv heads, %d head dim] but the model has [%d layers, %d kv heads, %d head dim]",
			f.Layers, f.KVHeads, f.HeadDim, c.Layers, c.MaxKVHeads(), c.MaxHeadDim())
	}
	if f.Heads != 0 && f.Heads != c.Heads {
		return fmt.Errorf("filters were computed for %d query heads but the model has %d", f.Heads, c.Heads)
	}
	for l := range c.Layers {
		if f.HasCache(l) != c.HasCache(l) {
			return fmt.Errorf("filters say layer %d has a KV cache: %v, the model: %v (filters of another model)", l, f.HasCache(l), c.HasCache(l))
		}
		if f.KVHeadsOf(l) != c.KVHeadsOf(l) || f.HeadDimOf(l) != c.HeadDimOf(l) || f.CacheOwner(l) != c.CacheOwner(l) {
			return fmt.Errorf("filters say layer %d has %d kv heads of %d reading layer %d's cache, the model %d of %d reading layer %d's (filters of another model)",
				l, f.KVHeadsOf(l), f.HeadDimOf(l), f.CacheOwner(l), c.KVHeadsOf(l), c.HeadDimOf(l), c.CacheOwner(l))
		}
	}
	return nil
}

// firstEvictedStep is the first decoding step whose prediction a capped
// cache can change: the cache holds every token until it first overflows,
// after step cacheSize, so the cacheSize+1 predictions before are the full
// cache's for every method, and scoring them would only pull every
// perplexity towards the full cache's.
func firstEvictedStep(cacheSize int) int { return cacheSize + 1 }

// CheckCacheSize reports a cache of cacheSize entries that never evicts
// before the last prediction of a sequence of seqLen tokens: the
// perplexity would score no prediction.
func CheckCacheSize(cacheSize, seqLen int) error {
	if firstEvictedStep(cacheSize) >= seqLen-1 {
		return fmt.Errorf("a cache of %d entries never overflows before the last prediction of a %d-token sequence (step %d): use at most %d",
			cacheSize, seqLen, seqLen-2, seqLen-3)
	}
	return nil
}

// Run evaluates the filters on seqs (token ids, all of the same length).
func Run(m *model.Model, f *export.Filters, seqs [][]int, cfg Config) (*Report, error) {
	c := m.Config
	if err := CheckShape(c, f); err != nil {
		return nil, err
	}
	if len(seqs) == 0 {
		return nil, errors.New("no sequences to evaluate")
	}
	ctx := cfg.Context
	if ctx == nil {
		ctx = context.Background()
	}
	progress := cfg.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	opt := cfg.Options.withDefaults()
	seqLen := len(seqs[0])
	if seqLen < opt.MinKeys {
		return nil, fmt.Errorf("sequences of %d tokens are shorter than the %d keys a query needs to be evaluated (2 x the largest ratio)", seqLen, opt.MinKeys)
	}
	evaluated, widest := 0, 0 // layers where some query sees MinKeys keys
	for l := range c.Layers {
		if !c.HasCache(l) {
			continue // linear attention: no keys to keep or drop
		}
		w := layerWindow(c, l)
		if ch := layerChunk(c, l); ch > 0 && (w == 0 || ch < w) {
			w = ch // a chunk bounds the keys seen as a window does
		}
		if w == 0 || w >= opt.MinKeys {
			evaluated++
		}
		widest = max(widest, w)
	}
	if evaluated == 0 {
		return nil, fmt.Errorf("every layer attends over a sliding window of at most %d keys, fewer than the %d a query needs to be evaluated (2 x the largest ratio): use ratios of at most %d", widest, opt.MinKeys, widest/2)
	}
	rep := &Report{Ratios: opt.Ratios, MinKeys: opt.MinKeys, Sinks: opt.Sinks, Sequences: len(seqs), SeqLen: seqLen}

	nm, nr, ns := len(RecallMethods), len(opt.Ratios), len(ScoreMethods)
	recall := make([][][]float64, c.Layers) // [l][m][r] sums
	queries := make([]int, c.Layers)
	spear := make([][]float64, c.Layers) // [l][m] sums
	spearN := make([][]int, c.Layers)
	for l := range recall {
		recall[l] = make([][]float64, nm)
		for mi := range recall[l] {
			recall[l][mi] = make([]float64, nr)
		}
		spear[l] = make([]float64, ns)
		spearN[l] = make([]int, ns)
	}
	var cr *contextRun
	if cfg.ContextLen > 0 {
		if cfg.ContextLen < 2 || cfg.ContextLen >= seqLen {
			return nil, fmt.Errorf("a context of %d tokens needs sequences longer than it (have %d tokens) and at least 2 tokens", cfg.ContextLen, seqLen)
		}
		var err error
		if cr, err = newContextRun(c, ContextOptions{Context: cfg.ContextLen, Ratios: opt.Ratios, Sinks: cfg.Options.Sinks}, cfg.ExpStats); err != nil {
			return nil, err
		}
	}
	scale := m.AttentionScale()
	rep.QueriesPerHead = -1
	start := time.Now()
	stop := func() bool { return ctx.Err() != nil }
	for s, ids := range seqs {
		if len(ids) != seqLen {
			return nil, fmt.Errorf("held-out sequence %d has %d tokens, want %d", s, len(ids), seqLen)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var headErr error
		err := forward(ctx, m, ids, func(l int, q, k, v, sinks []float32) {
			if headErr != nil {
				return
			}
			d, H, G := c.HeadDimOf(l), c.Heads, c.KVHeadsOf(l)
			keys := make([][][]float32, G)
			k64 := make([][]float64, G)
			parallel(G, func(g int) {
				keys[g] = headRows(k, G, g, d)
				k64[g] = toF64(keys[g], d)
			})
			stats := make([]*HeadStats, H)
			errs := make([]error, H)
			var accs []*ctxAcc
			if cr != nil {
				accs = make([]*ctxAcc, H)
			}
			// Heads in parallel, each into its own slot: the sums below run
			// in head order whatever the parallelism.
			parallel(H, func(h int) {
				g := h / (H / G)
				var hook rowHook
				if cr != nil {
					acc := newCtxAcc(cr.opt.Context, cr.opt.Window)
					accs[h] = acc
					hook = func(i, lo int, p []float64) {
						if i >= acc.C-acc.w {
							acc.row(i, lo, p)
						}
					}
				}
				hd := Head{
					Queries: headRows(q, H, h, d), Keys: keys[g], Filter: f.Filter(l, g)[:d],
					Scale: scale, Softcap: c.AttnSoftcap, Window: layerWindow(c, l), Chunk: layerChunk(c, l),
					Seed: mix(cfg.Seed, uint64(s), uint64(l), uint64(h)),
				}
				if sinks != nil { // gpt-oss: the model's softmax, learned sink included
					hd.Sink, hd.HasSink = float64(sinks[h]), true
				}
				stats[h], errs[h] = headRecall(hd, k64[g], opt, hook, stop)
			})
			if headErr = errors.Join(errs...); headErr != nil {
				return
			}
			if headErr = ctx.Err(); headErr != nil {
				return
			}
			for _, st := range stats {
				rep.QueriesPerHead = max(rep.QueriesPerHead, st.Queries) // a sliding window sees fewer
				queries[l] += st.Queries
				for mi := range st.Recall {
					for r := range st.Recall[mi] {
						recall[l][mi][r] += st.Recall[mi][r]
					}
				}
				for mi, v := range st.Spearman {
					if !math.IsNaN(v) {
						spear[l][mi] += v
						spearN[l][mi]++
					}
				}
			}
			if cr != nil {
				headErr = cr.layer(c, l, q, k, v, sinks, f, scale, mix(cfg.Seed, uint64(s), 1), accs)
			}
			progress("recall", s*c.Layers+l+1, len(seqs)*c.Layers)
		})
		if err == nil {
			err = headErr
		}
		if err != nil {
			return nil, err
		}
	}
	rep.Seconds.Recall = time.Since(start).Seconds()

	for mi, method := range RecallMethods {
		mr := MethodRecall{Method: method, Mean: make([]float64, nr), PerLayer: make([][]float64, c.Layers)}
		for l := range c.Layers {
			if queries[l] == 0 { // a sliding window below MinKeys: 0/0
				continue
			}
			mr.PerLayer[l] = make([]float64, nr)
			for r := range nr {
				mr.PerLayer[l][r] = recall[l][mi][r] / float64(queries[l])
				mr.Mean[r] += mr.PerLayer[l][r] / float64(evaluated)
			}
		}
		rep.Recall = append(rep.Recall, mr)
	}
	for mi, method := range ScoreMethods {
		ms := MethodSpearman{Method: method, PerLayer: make([]*float64, c.Layers)}
		var sum float64
		var n int
		for l := range c.Layers {
			if spearN[l][mi] > 0 {
				v := spear[l][mi] / float64(spearN[l][mi])
				ms.PerLayer[l] = &v
			}
			sum += spear[l][mi]
			n += spearN[l][mi]
		}
		if n > 0 {
			v := sum / float64(n)
			ms.Mean = &v
		}
		rep.Spearman = append(rep.Spearman, ms)
	}

	if cr != nil {
		rep.ContextRecall = cr.report(seqLen)
	}
	if cfg.CacheSize > 0 {
		if err := CheckCacheSize(cfg.CacheSize, seqLen); err != nil {
			return nil, err
		}
		start := time.Now()
		p, err := runPerplexity(ctx, m, f, seqs, cfg, opt.Sinks, progress)
		if err != nil {
			return nil, err
		}
		rep.Perplexity = p
		secs := time.Since(start).Seconds()
		rep.Seconds.Perplexity = &secs
	}
	return rep, nil
}

func runPerplexity(ctx context.Context, m *model.Model, f *export.Filters, seqs [][]int, cfg Config, sinks int, progress func(string, int, int)) (*Perplexity, error) {
	if cfg.PPLSeqs > 0 && cfg.PPLSeqs < len(seqs) {
		seqs = seqs[:cfg.PPLSeqs]
	}
	p := &Perplexity{CacheSize: cfg.CacheSize, Window: cfg.Window, Sinks: sinks, Sequences: len(seqs)}
	evs := make([]*Evictor, len(PPLMethods)) // nil: the full cache
	for i, method := range PPLMethods {
		if method == Full {
			continue
		}
		score, err := Policy(method, f.Filter, cfg.Seed)
		if err != nil {
			return nil, err
		}
		ev := &Evictor{Size: cfg.CacheSize, Window: cfg.Window, Score: score}
		if method == Streaming {
			ev.Sinks = sinks
		}
		if err := ev.Check(); err != nil {
			return nil, err
		}
		evs[i] = ev
	}
	from := firstEvictedStep(cfg.CacheSize)
	nll := make([]float64, len(PPLMethods))
	if cfg.Decode {
		dec, err := m.NewDecoder()
		if err != nil {
			return nil, err
		}
		total := len(seqs) * len(PPLMethods)
		done := 0
		for i, ev := range evs {
			var n int
			for _, ids := range seqs {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				s, k, err := StreamNLL(ctx, dec, ids, ev, from)
				if err != nil {
					return nil, err
				}
				nll[i] += s
				n += k
				done++
				progress("perplexity", done, total)
			}
			p.Predictions = n
		}
	} else {
		// Every method's cache of one sequence in one masked forward pass.
		units := m.Config.Layers + 1 // the layers, then the logits
		for s, ids := range seqs {
			step := 0
			got, k, err := maskedNLLs(ctx, m, ids, evs, from, func() {
				step++
				progress("perplexity", s*units+step, len(seqs)*units)
			})
			if err != nil {
				return nil, err
			}
			for i, x := range got {
				nll[i] += x
			}
			p.Predictions += k
		}
	}
	ppl := map[string]float64{}
	for i, method := range PPLMethods {
		ppl[method] = math.Exp(nll[i] / float64(p.Predictions))
	}
	for _, method := range PPLMethods {
		mp := MethodPPL{Method: method, PPL: ppl[method]}
		if gap := ppl[Streaming] - ppl[Full]; gap != 0 {
			v := (ppl[Streaming] - ppl[method]) / gap
			mp.GapClosed = &v
		}
		p.Methods = append(p.Methods, mp)
	}
	return p, nil
}

// forward runs ids through every layer, handing each layer's post-RoPE
// queries and keys, its values and its learned attention-sink logits (one
// per query head, gpt-oss; nil for every other family) to each (valid
// during the call). It stops between layers once ctx is done, and within
// one where the layer checks (model.Layer's Stop).
func forward(ctx context.Context, m *model.Model, ids []int, each func(l int, q, k, v, sinks []float32)) error {
	emb, err := m.Embedding()
	if err != nil {
		return err
	}
	h, err := emb.Embed(ids)
	if err != nil {
		return err
	}
	for l := range m.Config.Layers {
		if err := ctx.Err(); err != nil {
			return err
		}
		layer, err := m.Layer(l, true)
		if err != nil {
			return err
		}
		var q, k []float32
		layer.Tokens = ids
		layer.Stop = func() bool { return ctx.Err() != nil }
		layer.Values = func(_ int, v []float32) { each(l, q, k, v, layer.Sinks()) }
		layer.Forward(h, []int{len(ids)}, func(_ int, qs, ks []float32) { q, k = qs, ks })
	}
	return ctx.Err()
}

// parallel runs fn(0..n-1) on every CPU (runtime.GOMAXPROCS goroutines).
func parallel(n int, fn func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// headRows slices head h's rows out of x, [seq][heads·d] row-major: one
// d-vector per position, sharing x's memory.
func headRows(x []float32, heads, h, d int) [][]float32 {
	seq := len(x) / (heads * d)
	out := make([][]float32, seq)
	for i := range seq {
		out[i] = x[(i*heads+h)*d : (i*heads+h+1)*d]
	}
	return out
}

// layerWindow is layer l's sliding window (0: full attention).
func layerWindow(c *model.Config, l int) int {
	if l < len(c.Window) {
		return c.Window[l]
	}
	return 0
}

// layerChunk is layer l's attention chunk (0: not chunked).
func layerChunk(c *model.Config, l int) int {
	if l < len(c.Chunk) {
		return c.Chunk[l]
	}
	return 0
}
